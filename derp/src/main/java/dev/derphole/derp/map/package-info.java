/**
 * The DERP map: which relays exist, how to reach them, and which one to call home.
 *
 * <p>{@link dev.derphole.derp.map.DerpMap}, {@link dev.derphole.derp.map.DerpRegion} and
 * {@link dev.derphole.derp.map.DerpNode} are immutable, always-valid records of Tailscale's
 * {@code tailcfg.DERPMap} JSON (read with Go's rules, written back in Go's field order), so a map from
 * Tailscale, Headscale or a {@code derper} works unchanged. Each node derives what a client needs:
 * scheme, DERP URL, TLS name, dial addresses and STUN addresses.
 * {@link dev.derphole.derp.map.DerpMapSource#resolve} decides where the map comes from
 * ({@code --derp-url}, {@code --derp-map}, their environment variables, else the bundled snapshot of
 * Tailscale's public map) and {@link dev.derphole.derp.map.DerpMapLoader} loads it;
 * {@link dev.derphole.derp.map.DerpRelayUrl} turns one relay URL into a one-region map.
 * {@link dev.derphole.derp.map.HomeRegionSelector} is the pure policy that picks the home region from
 * latency measurements. Nothing here is on a per-packet path. Failures are
 * {@link dev.derphole.derp.map.DerpMapException}s whose messages are meant for the user.
 */
package dev.derphole.derp.map;
