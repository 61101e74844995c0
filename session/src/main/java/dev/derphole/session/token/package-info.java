/**
 * The session token a listener prints and a joiner pastes: a versioned binary record (capability, session
 * id, expiry, how to reach the listener's relay, the listener's DERP and identity public keys, the bearer
 * secret) with a CRC-32C, in base64url without padding. Decoding is strict and fails only with a
 * {@link dev.derphole.session.token.TokenException} whose one-line message a user can act on.
 * Layout: {@code docs/session-protocol.md}.
 */
package dev.derphole.session.token;
