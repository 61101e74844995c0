package dev.derphole.derp.proto;

import java.nio.charset.StandardCharsets;

/** Protocol constants, as defined in tailscale {@code derp/derp.go}. */
public final class DerpProtocol {
    /** Wire protocol version: RecvPacket frames carry the 32-byte source key first. */
    public static final int PROTOCOL_VERSION = 2;

    /** {@code "DERP🔑"}: 0x44 0x45 0x52 0x50 0xF0 0x9F 0x94 0x91, first bytes of the ServerKey frame. */
    public static final byte[] MAGIC = "DERP\uD83D\uDD11".getBytes(StandardCharsets.UTF_8);

    /** Length of a curve25519 node key. */
    public static final int KEY_LENGTH = 32;

    /** Length of the NaCl box nonce in ClientInfo/ServerInfo. */
    public static final int NONCE_LENGTH = 24;

    /** Frame header: type (1 byte) then payload length (u32 big-endian). */
    public static final int FRAME_HEADER_LENGTH = 5;

    /** Largest packet (data bytes, excluding the destination/source key) a client may send. */
    public static final int MAX_PACKET_SIZE = 64 << 10;

    /** Largest ClientInfo/ServerInfo payload accepted ({@code maxInfoLen}). */
    public static final int MAX_INFO_LENGTH = 1 << 20;

    /** Largest frame of any type we read; anything bigger closes the connection. */
    public static final int MAX_FRAME_LENGTH = 1 << 20;

    /** Largest ServerKey frame: magic, key and up to ~1 KiB of future fields. */
    public static final int MAX_SERVER_KEY_LENGTH = 1 << 10;

    /** Ping and Pong carry exactly this many bytes. */
    public static final int PING_LENGTH = 8;

    /** Servers tolerate pings up to this long and echo the first 8 bytes. */
    public static final int MAX_PING_LENGTH = 1000;

    /** Server KeepAlive interval in milliseconds (plus up to 5 s jitter). */
    public static final long KEEP_ALIVE_INTERVAL_MS = 60_000;

    /** PeerGone reason: the peer was connected and disconnected. */
    public static final int PEER_GONE_DISCONNECTED = 0x00;

    /** PeerGone reason: the destination key is not connected to this server. */
    public static final int PEER_GONE_NOT_HERE = 0x01;

    /** The HTTP path of the upgrade, and the upgrade token in the {@code Upgrade} header. */
    public static final String HTTP_PATH = "/derp";
    public static final String UPGRADE_TOKEN = "DERP";

    /** Response headers of the 101 upgrade. */
    public static final String HEADER_VERSION = "Derp-Version";
    public static final String HEADER_PUBLIC_KEY = "Derp-Public-Key";

    private DerpProtocol() {
    }
}
