/**
 * DERP client that speaks Tailscale's protocol to Tailscale's public derpers, any {@code derper} or
 * Headscale relay, and our own relay: TCP (optionally several addresses), TLS with WebPKI validation
 * that tolerates derper's trailing "meta cert", the HTTP/1.1 {@code Upgrade: DERP} exchange, the NaCl box
 * handshake, then one reader and one writer thread per connection with bounded queues on both sides
 * (a full receive queue stops the reader, so TCP pushes back on the relay; a full send queue blocks
 * senders). {@link dev.derphole.derp.client.DerpClient} reconnects with backoff when allowed;
 * {@link dev.derphole.derp.client.DerpProbe} measures latency and handshake time for netcheck with the
 * same connection code.
 * <p>
 * Facts from tailscale {@code derp/derp_client.go} and {@code derp/derphttp/derphttp_client.go}.
 */
package dev.derphole.derp.client;
