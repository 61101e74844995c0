package dev.derphole.derp.proto;

/** DERP frame type bytes (tailscale {@code derp/derp.go}). */
public final class FrameType {
    /** S→C: magic(8) ‖ server key(32) ‖ future bytes. First frame of a connection. */
    public static final int SERVER_KEY = 0x01;
    /** C→S: client key(32) ‖ nonce(24) ‖ box(JSON). */
    public static final int CLIENT_INFO = 0x02;
    /** S→C: nonce(24) ‖ box(JSON). */
    public static final int SERVER_INFO = 0x03;
    /** C→S: destination key(32) ‖ packet. */
    public static final int SEND_PACKET = 0x04;
    /** S→C: source key(32) ‖ packet. */
    public static final int RECV_PACKET = 0x05;
    /** S→C: empty; keeps idle connections open. */
    public static final int KEEP_ALIVE = 0x06;
    /** C→S: one byte, 0x01 when this server is the client's home. */
    public static final int NOTE_PREFERRED = 0x07;
    /** S→C: key(32) ‖ optional reason byte. */
    public static final int PEER_GONE = 0x08;
    /** S→watcher: key(32) ‖ optional ip(16) ‖ port(2) ‖ flags(1). */
    public static final int PEER_PRESENT = 0x09;
    /** mesh→S: source(32) ‖ destination(32) ‖ packet. */
    public static final int FORWARD_PACKET = 0x0a;
    /** mesh→S: subscribe to PeerPresent/PeerGone. */
    public static final int WATCH_CONNS = 0x10;
    /** mesh→S: close the connection of key(32). */
    public static final int CLOSE_PEER = 0x11;
    /** Both directions: 8 bytes to echo. */
    public static final int PING = 0x12;
    /** Both directions: the 8 bytes of the ping answered. */
    public static final int PONG = 0x13;
    /** S→C: UTF-8 problem text; empty clears it. */
    public static final int HEALTH = 0x14;
    /** S→C: reconnect-in ms (u32) ‖ try-for ms (u32). */
    public static final int RESTARTING = 0x15;

    private FrameType() {
    }

    /** Human-readable name, for errors and debug output (never per packet). */
    public static String name(final int type) {
        return switch (type) {
            case SERVER_KEY -> "ServerKey";
            case CLIENT_INFO -> "ClientInfo";
            case SERVER_INFO -> "ServerInfo";
            case SEND_PACKET -> "SendPacket";
            case RECV_PACKET -> "RecvPacket";
            case KEEP_ALIVE -> "KeepAlive";
            case NOTE_PREFERRED -> "NotePreferred";
            case PEER_GONE -> "PeerGone";
            case PEER_PRESENT -> "PeerPresent";
            case FORWARD_PACKET -> "ForwardPacket";
            case WATCH_CONNS -> "WatchConns";
            case CLOSE_PEER -> "ClosePeer";
            case PING -> "Ping";
            case PONG -> "Pong";
            case HEALTH -> "Health";
            case RESTARTING -> "Restarting";
            default -> String.format("Unknown(0x%02x)", type);
        };
    }
}
