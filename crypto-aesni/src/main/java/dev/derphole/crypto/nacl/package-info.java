/**
 * NaCl {@code crypto_box} (X25519 + XSalsa20-Poly1305), byte-compatible with libsodium and Go's
 * {@code golang.org/x/crypto/nacl/box}. DERP uses it only for the ClientInfo/ServerInfo handshake
 * frames, so it favours clarity over speed; session payloads use AES-GCM instead.
 */
package dev.derphole.crypto.nacl;
