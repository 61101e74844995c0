package dev.derphole.derp.client;

import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;

import dev.derphole.derp.json.JsonException;
import dev.derphole.derp.json.JsonReader;
import dev.derphole.derp.proto.DerpProtocol;
import dev.derphole.derp.proto.DerpProtocolException;

/**
 * The JSON inside the handshake boxes: ClientInfo is a constant shape we print; from ServerInfo we need only the
 * two token-bucket numbers. Keys match case-insensitively, as Go decodes them; unknown keys are ignored.
 * Stateless.
 */
final class ServerInfoJson {
    /** What the relay said in ServerInfo; zero rate means "unspecified, no pacing needed". */
    record ServerInfo(long tokenBucketBytesPerSecond, long tokenBucketBytesBurst) {
    }

    private static final String RATE_FIELD = "tokenbucketbytespersecond";
    private static final String BURST_FIELD = "tokenbucketbytesburst";

    /** ServerInfo is a handful of fields; deep nesting is never legitimate. */
    private static final JsonReader READER = new JsonReader(8, 256 * 1024);

    private ServerInfoJson() {
    }

    /** {@code {"version":2,"CanAckPings":true}} (tailscale derp_client.go {@code clientInfo}). */
    static byte[] clientInfo(final boolean canAckPings) {
        return ("{\"version\":" + DerpProtocol.PROTOCOL_VERSION + ",\"CanAckPings\":" + canAckPings + "}")
            .getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Reads the token bucket fields of a ServerInfo JSON object; a field that is absent, negative or not an
     * integer counts as 0 (no pacing), as a zero value does in Go.
     *
     * @throws DerpProtocolException when it is not a JSON object
     */
    static ServerInfo parseServerInfo(final byte[] json) throws DerpProtocolException {
        final Object parsed;
        try {
            parsed = READER.read(json);
        } catch (final JsonException e) {
            throw new DerpProtocolException("ServerInfo is not JSON: " + e.getMessage());
        }
        if (!(parsed instanceof Map<?, ?> fields)) {
            throw new DerpProtocolException("ServerInfo is not a JSON object");
        }
        long rate = 0;
        long burst = 0;
        for (final Map.Entry<?, ?> field : fields.entrySet()) {
            final String key = ((String)field.getKey()).toLowerCase(Locale.ROOT);
            if (key.equals(RATE_FIELD)) {
                rate = nonNegative(field.getValue());
            } else if (key.equals(BURST_FIELD)) {
                burst = nonNegative(field.getValue());
            }
        }
        return new ServerInfo(rate, burst);
    }

    private static long nonNegative(final Object value) {
        return value instanceof Long n && n > 0 ? n : 0;
    }
}
