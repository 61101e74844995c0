package dev.derphole.derp.server;

/** Why a connection was closed before it became a registered DERP client. */
public enum HandshakeFailure {
    /** The handshake deadline passed (nothing sent, slow TLS, slow HTTP head, no ClientInfo). */
    TIMEOUT("timeout"),
    /** The TLS handshake failed. */
    TLS("tls"),
    /** The HTTP request head was malformed or too large. */
    BAD_HTTP("bad_http"),
    /** The first frame was not a ClientInfo frame of an acceptable length. */
    BAD_FRAME("bad_frame"),
    /** The ClientInfo box did not open with the claimed client key. */
    BOX("box"),
    /** The ClientInfo JSON did not parse. */
    BAD_JSON("bad_json"),
    /** The peer hung up or the socket failed during the handshake. */
    IO("io");

    private final String label;

    HandshakeFailure(final String label) {
        this.label = label;
    }

    /** Stable metric label. */
    public String label() {
        return label;
    }
}
