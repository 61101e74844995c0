/**
 * Session cryptography on the packet path: {@link dev.derphole.crypto.SessionAead} (AES-256-GCM with
 * prefix-and-packet-number nonces through the JDK's intrinsics) and {@link dev.derphole.crypto.ReplayWindow}.
 * Key derivation (HKDF) lives beside them; the NaCl box DERP needs is in {@code .nacl}.
 */
package dev.derphole.crypto;
