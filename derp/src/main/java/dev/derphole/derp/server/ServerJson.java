package dev.derphole.derp.server;

import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;

import dev.derphole.derp.json.JsonException;
import dev.derphole.derp.json.JsonReader;

import dev.derphole.derp.proto.DerpProtocol;
import dev.derphole.derp.proto.DerpProtocolException;

/**
 * The relay's only JSON: reading ClientInfo and writing ServerInfo (tailscale {@code derp.ClientInfo},
 * {@code derp.ServerInfo}). Keys of ClientInfo match case-insensitively and unknown keys are ignored, as Go's
 * {@code encoding/json} decodes them. Stateless.
 */
final class ServerJson {
    /** ClientInfo is small; nesting beyond a few levels is never legitimate. */
    private static final JsonReader CLIENT_INFO_READER = new JsonReader(8, 256 * 1024);

    private ServerJson() {
    }

    /** ServerInfo: {@code {"version":2}}, plus the token bucket fields when a rate limit is configured. */
    static byte[] serverInfo(final DerpServerConfig config) {
        final StringBuilder sb = new StringBuilder("{\"version\":").append(DerpProtocol.PROTOCOL_VERSION);
        if (config.rateLimited()) {
            sb.append(",\"TokenBucketBytesPerSecond\":").append(config.rateLimitBytesPerSecond())
                .append(",\"TokenBucketBytesBurst\":").append(config.rateLimitBurstBytes());
        }
        return sb.append('}').toString().getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Parses ClientInfo JSON; anything but a JSON object (or {@code null}, which Go decodes as all zero) with
     * well-typed known fields fails. Keys match case-insensitively; unknown keys are ignored.
     */
    static ClientInfo parseClientInfo(final byte[] json) throws DerpProtocolException {
        final Object parsed;
        try {
            parsed = CLIENT_INFO_READER.read(json);
        } catch (final JsonException e) {
            throw new DerpProtocolException("ClientInfo is not JSON: " + e.getMessage());
        }
        if (parsed == null) {
            return new ClientInfo(0, false, null, false, null);
        }
        if (!(parsed instanceof Map<?, ?> fields)) {
            throw new DerpProtocolException("ClientInfo is not a JSON object");
        }
        long version = 0;
        boolean canAckPings = false;
        boolean isProber = false;
        String meshKey = null;
        String appName = null;
        for (final Map.Entry<?, ?> field : fields.entrySet()) {
            final String key = ((String)field.getKey()).toLowerCase(Locale.ROOT);
            final Object value = field.getValue();
            switch (key) {
                case "version" -> version = typed(value, Long.class, "version");
                case "canackpings" -> canAckPings = typed(value, Boolean.class, "CanAckPings");
                case "isprober" -> isProber = typed(value, Boolean.class, "IsProber");
                case "meshkey" -> meshKey = typed(value, String.class, "meshKey");
                case "appname" -> appName = typed(value, String.class, "AppName");
                default -> {
                    // Newer clients send fields we do not know; Go ignores them too.
                }
            }
        }
        return new ClientInfo(version, canAckPings, meshKey, isProber, appName);
    }

    private static <T> T typed(final Object value, final Class<T> type, final String name)
        throws DerpProtocolException {
        if (!type.isInstance(value)) {
            throw new DerpProtocolException("ClientInfo field " + name + " has the wrong type");
        }
        return type.cast(value);
    }
}
