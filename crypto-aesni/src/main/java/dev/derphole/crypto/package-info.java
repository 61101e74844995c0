/**
 * Session cryptography: per-purpose keys derived from a token's bearer secret
 * ({@link dev.derphole.crypto.SessionKeyDerivation}, HKDF-SHA256 through JEP 510 {@code javax.crypto.KDF}),
 * {@link dev.derphole.crypto.SessionAead} (AES-256-GCM with prefix-and-packet-number nonces through the JDK's
 * intrinsics) and {@link dev.derphole.crypto.ReplayWindow}. The NaCl box DERP needs is in {@code .nacl}.
 */
package dev.derphole.crypto;
