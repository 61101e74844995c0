package dev.derphole.derp.server;

/**
 * What a client says about itself in its ClientInfo frame (tailscale {@code derp.ClientInfo}); parsed by
 * {@link ServerJson#parseClientInfo}.
 *
 * @param version     DERP protocol version the client speaks (0 when absent)
 * @param canAckPings the client answers server pings
 * @param meshKey     hex mesh key, or null (this relay has no mesh, so it grants nothing)
 * @param isProber    the client is a monitoring prober
 * @param appName     opaque application name, or null
 */
record ClientInfo(long version, boolean canAckPings, String meshKey, boolean isProber, String appName) {
}
