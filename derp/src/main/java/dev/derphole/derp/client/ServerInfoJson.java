package dev.derphole.derp.client;

import java.nio.charset.StandardCharsets;
import java.util.Locale;

import dev.derphole.derp.proto.DerpProtocol;
import dev.derphole.derp.proto.DerpProtocolException;

/**
 * The JSON inside the handshake boxes, kept in one place so that it can move onto the project's JSON reader
 * ({@code dev.derphole.derp.json}) once that lands: ClientInfo is a constant shape we print, and from ServerInfo
 * we need only two numbers. Until then ServerInfo is checked to be one JSON object and the two fields are found
 * by (case-insensitive, as Go decodes) name; anything else in it is ignored. Stateless.
 */
final class ServerInfoJson
{
    /** What the relay said in ServerInfo; zero rate means "unspecified, no pacing needed". */
    record ServerInfo(long tokenBucketBytesPerSecond, long tokenBucketBytesBurst)
    {
    }

    private static final String RATE_FIELD = "tokenbucketbytespersecond";
    private static final String BURST_FIELD = "tokenbucketbytesburst";

    private ServerInfoJson()
    {
    }

    /** {@code {"version":2,"CanAckPings":true}} (tailscale derp_client.go {@code clientInfo}). */
    static byte[] clientInfo(final boolean canAckPings)
    {
        return ("{\"version\":" + DerpProtocol.PROTOCOL_VERSION + ",\"CanAckPings\":" + canAckPings + "}")
            .getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Reads the token bucket fields of a ServerInfo JSON object.
     *
     * @throws DerpProtocolException when it is not a JSON object
     */
    static ServerInfo parseServerInfo(final byte[] json) throws DerpProtocolException
    {
        final String text = new String(json, StandardCharsets.UTF_8).strip();
        if (text.length() < 2 || text.charAt(0) != '{' || text.charAt(text.length() - 1) != '}')
        {
            throw new DerpProtocolException("ServerInfo is not a JSON object");
        }
        final String lower = text.toLowerCase(Locale.ROOT);
        return new ServerInfo(number(lower, RATE_FIELD), number(lower, BURST_FIELD));
    }

    /** The non-negative integer after {@code "field":}, or 0 when absent, negative or not an integer. */
    private static long number(final String json, final String field)
    {
        final int at = json.indexOf('"' + field + '"');
        if (at < 0)
        {
            return 0;
        }
        int i = skipSpace(json, at + field.length() + 2);
        if (i >= json.length() || json.charAt(i) != ':')
        {
            return 0;
        }
        i = skipSpace(json, i + 1);
        long value = 0;
        int digits = 0;
        while (i < json.length() && json.charAt(i) >= '0' && json.charAt(i) <= '9' && digits < 18)
        {
            value = value * 10 + (json.charAt(i) - '0');
            digits++;
            i++;
        }
        return value;
    }

    private static int skipSpace(final String s, final int from)
    {
        int i = from;
        while (i < s.length() && (s.charAt(i) == ' ' || s.charAt(i) == '\t' || s.charAt(i) == '\n'
            || s.charAt(i) == '\r'))
        {
            i++;
        }
        return i;
    }
}
