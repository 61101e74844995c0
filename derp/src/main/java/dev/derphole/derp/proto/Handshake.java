package dev.derphole.derp.proto;

import java.util.Arrays;

import dev.derphole.crypto.nacl.Curve25519KeyPair;
import dev.derphole.crypto.nacl.NaclBox;
import dev.derphole.crypto.nacl.NaclException;

/**
 * Payloads of the three handshake frames. ServerKey is sent in clear; ClientInfo and ServerInfo carry
 * JSON sealed in a NaCl box between the client's and the server's node keys, with a fresh random nonce
 * sent in front of the box (tailscale {@code derp_client.go sendClientKey}, {@code derpserver sendServerInfo}).
 */
public final class Handshake {
    /** Smallest ClientInfo payload: client key, nonce and an empty box. */
    public static final int MIN_CLIENT_INFO_LENGTH = DerpProtocol.KEY_LENGTH + DerpProtocol.NONCE_LENGTH
        + NaclBox.OVERHEAD;

    /** What a server learns from a ClientInfo frame. */
    public record OpenedClientInfo(NodeKey clientKey, byte[] json) {
    }

    private Handshake() {
    }

    /** ServerKey payload: magic ‖ server public key. */
    public static byte[] serverKeyPayload(final NodeKey serverKey) {
        final byte[] out = new byte[DerpProtocol.MAGIC.length + DerpProtocol.KEY_LENGTH];
        System.arraycopy(DerpProtocol.MAGIC, 0, out, 0, DerpProtocol.MAGIC.length);
        serverKey.write(out, DerpProtocol.MAGIC.length);
        return out;
    }

    /** Parses a ServerKey payload; bytes after the key are ignored (reserved for future use). */
    public static NodeKey parseServerKey(final byte[] payload) throws DerpProtocolException {
        if (payload.length < DerpProtocol.MAGIC.length + DerpProtocol.KEY_LENGTH) {
            throw new DerpProtocolException("ServerKey frame too short: " + payload.length + " bytes");
        }
        if (!Arrays.equals(payload, 0, DerpProtocol.MAGIC.length, DerpProtocol.MAGIC, 0, DerpProtocol.MAGIC.length)) {
            throw new DerpProtocolException("bad DERP magic: not a DERP server");
        }
        return NodeKey.read(payload, DerpProtocol.MAGIC.length);
    }

    /** ClientInfo payload: client public key ‖ nonce ‖ box(json) sealed to the server. */
    public static byte[] clientInfoPayload(final Curve25519KeyPair client, final NodeKey server, final byte[] json) {
        final byte[] nonce = NaclBox.randomNonce();
        final byte[] box = new NaclBox(client, server.toBytes()).seal(nonce, json);
        final byte[] out = new byte[DerpProtocol.KEY_LENGTH + DerpProtocol.NONCE_LENGTH + box.length];
        System.arraycopy(client.publicKey(), 0, out, 0, DerpProtocol.KEY_LENGTH);
        System.arraycopy(nonce, 0, out, DerpProtocol.KEY_LENGTH, DerpProtocol.NONCE_LENGTH);
        System.arraycopy(box, 0, out, DerpProtocol.KEY_LENGTH + DerpProtocol.NONCE_LENGTH, box.length);
        return out;
    }

    /**
     * Opens a ClientInfo payload with the server's key pair.
     *
     * @throws DerpProtocolException when it is too short, the key is unusable, or the box fails
     */
    public static OpenedClientInfo openClientInfo(final Curve25519KeyPair server, final byte[] payload)
        throws DerpProtocolException {
        if (payload.length < MIN_CLIENT_INFO_LENGTH) {
            throw new DerpProtocolException("ClientInfo frame too short: " + payload.length + " bytes");
        }
        final NodeKey clientKey = NodeKey.read(payload, 0);
        final byte[] nonce = Arrays.copyOfRange(payload, DerpProtocol.KEY_LENGTH,
            DerpProtocol.KEY_LENGTH + DerpProtocol.NONCE_LENGTH);
        final int boxOffset = DerpProtocol.KEY_LENGTH + DerpProtocol.NONCE_LENGTH;
        return new OpenedClientInfo(clientKey, open(server, clientKey, nonce, payload, boxOffset, "ClientInfo"));
    }

    /** ServerInfo payload: nonce ‖ box(json) sealed to the client. */
    public static byte[] serverInfoPayload(final Curve25519KeyPair server, final NodeKey client, final byte[] json) {
        final byte[] nonce = NaclBox.randomNonce();
        final byte[] box = new NaclBox(server, client.toBytes()).seal(nonce, json);
        final byte[] out = new byte[DerpProtocol.NONCE_LENGTH + box.length];
        System.arraycopy(nonce, 0, out, 0, DerpProtocol.NONCE_LENGTH);
        System.arraycopy(box, 0, out, DerpProtocol.NONCE_LENGTH, box.length);
        return out;
    }

    /** Opens a ServerInfo payload with the client's key pair; returns the JSON bytes. */
    public static byte[] openServerInfo(final Curve25519KeyPair client, final NodeKey server, final byte[] payload)
        throws DerpProtocolException {
        if (payload.length < DerpProtocol.NONCE_LENGTH + NaclBox.OVERHEAD) {
            throw new DerpProtocolException("ServerInfo frame too short: " + payload.length + " bytes");
        }
        final byte[] nonce = Arrays.copyOfRange(payload, 0, DerpProtocol.NONCE_LENGTH);
        return open(client, server, nonce, payload, DerpProtocol.NONCE_LENGTH, "ServerInfo");
    }

    private static byte[] open(
        final Curve25519KeyPair ours, final NodeKey peer, final byte[] nonce, final byte[] payload, final int offset,
        final String what) throws DerpProtocolException {
        final NaclBox box;
        try {
            box = new NaclBox(ours, peer.toBytes());
        } catch (final IllegalArgumentException e) {
            throw new DerpProtocolException(what + " from unusable key " + peer.shortString() + ": " + e.getMessage());
        }
        try {
            return box.open(nonce, payload, offset, payload.length - offset);
        } catch (final NaclException e) {
            throw new DerpProtocolException(what + " box does not open: " + e.getMessage());
        }
    }
}
