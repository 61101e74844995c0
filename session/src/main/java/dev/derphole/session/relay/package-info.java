/**
 * Choosing and measuring relays: turning DERP map nodes into client targets, probing every region (HTTPS
 * latency, STUN, DERP handshake) in parallel within one deadline, and picking the home region. Used by
 * {@code netcheck} and by every command that needs a relay.
 */
package dev.derphole.session.relay;
