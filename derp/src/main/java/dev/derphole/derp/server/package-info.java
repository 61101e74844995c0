/**
 * The DERP relay server ({@code derphole relay}): {@link dev.derphole.derp.server.DerpServer}, configured by
 * {@link dev.derphole.derp.server.DerpServerConfig}, wire-compatible with Tailscale's {@code derper} so that
 * Tailscale clients and our own client can use it. HTTP/1.1 front door (optionally TLS with derper's meta
 * certificate), DERP handshake, per-destination bounded queues that drop the oldest packet, PeerGone and
 * duplicate-key handling, ping/pong, keepalives, an optional per-client receive rate limit, and named counters
 * ({@link dev.derphole.derp.server.DerpServerCounters}) for everything dropped or refused. Mesh (region
 * forwarding between relays) is not implemented: mesh-only frames close the connection.
 */
package dev.derphole.derp.server;
