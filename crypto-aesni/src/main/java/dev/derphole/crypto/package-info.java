/**
 * Session cryptography: per-purpose keys derived from a token's bearer secret (HKDF-SHA256, JEP 510
 * {@code javax.crypto.KDF}) and the AES-GCM sealing that protects every byte the session sends.
 * The NaCl box DERP needs for its handshake lives in the {@code nacl} subpackage.
 */
package dev.derphole.crypto;
