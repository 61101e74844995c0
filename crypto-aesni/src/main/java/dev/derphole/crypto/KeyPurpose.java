package dev.derphole.crypto;

import java.nio.charset.StandardCharsets;

/**
 * What a derived session key is for. Each purpose has its own HKDF {@code info} label, so keys for
 * different jobs are independent even though they come from one bearer secret: a key leaked or misused in
 * one place (say a path probe) says nothing about another (the stream payload).
 * <p>
 * The labels are part of the wire protocol ({@code docs/session-protocol.md}); never change one, add a new
 * purpose with a new label instead. The {@code v1} is the session protocol version.
 */
public enum KeyPurpose {
    /** AES-256-GCM key for CLAIM and DECISION packets relayed over DERP. */
    RENDEZVOUS("derphole/v1/rendezvous"),
    /** Stream engine payload and control sent by the claimer to the listener. */
    STREAM_CLAIMER_TO_LISTENER("derphole/v1/stream/claimer-to-listener"),
    /** Stream engine payload and control sent by the listener to the claimer. */
    STREAM_LISTENER_TO_CLAIMER("derphole/v1/stream/listener-to-claimer"),
    /** MAC key binding direct-path probes to the session. */
    PATH_PROBE("derphole/v1/path-probe"),
    /** AES-256-GCM key for candidate updates (call-me-maybe) relayed over DERP after the rendezvous. */
    CANDIDATES("derphole/v1/candidates"),
    /** Secret that binds the QUIC (TLS 1.3) handshake to the session. */
    QUIC("derphole/v1/quic");

    private final String label;

    KeyPurpose(final String label) {
        this.label = label;
    }

    /** The ASCII HKDF {@code info} label, e.g. {@code derphole/v1/rendezvous}. */
    public String label() {
        return label;
    }

    /** The label as the bytes fed to HKDF-Expand. */
    public byte[] info() {
        return label.getBytes(StandardCharsets.US_ASCII);
    }
}
