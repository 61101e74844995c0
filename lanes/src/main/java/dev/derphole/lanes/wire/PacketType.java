package dev.derphole.lanes.wire;

/**
 * Stream packet types: the first byte of every stream packet. The stream engine owns 0x10-0x3f; on the shared
 * DERP connection 0x01-0x0f belong to rendezvous and 0x80 and up to path probes, so a demultiplexer can route
 * on the first byte alone.
 */
public final class PacketType {
    /** Stream bytes at an offset, sender to receiver. */
    public static final byte DATA = 0x10;
    /** Cumulative offset, selective ranges, credit and RTT echo, receiver to sender. */
    public static final byte ACK = 0x11;
    /** Liveness when idle, either direction. */
    public static final byte HEARTBEAT = 0x12;
    /** Sender to receiver after the final ACK: the receiver may stop lingering. */
    public static final byte CLOSE = 0x13;
    /** Either direction: the stream failed; reason code and text. */
    public static final byte ABORT = 0x14;
    /**
     * DATA whose end is the final stream length (FIN). A type rather than a flag in the body saves a byte in every
     * DATA datagram; an observer learns which packet ends the stream, which the silence after it shows anyway.
     */
    public static final byte DATA_FIN = 0x15;

    /** Lowest first byte reserved for the stream engine. */
    public static final int FIRST = 0x10;
    /** Highest first byte reserved for the stream engine. */
    public static final int LAST = 0x3f;

    private PacketType() {
    }

    /** True when {@code firstByte} (as an unsigned value 0-255) is in the stream engine's range. */
    public static boolean isStreamPacket(final int firstByte) {
        return firstByte >= FIRST && firstByte <= LAST;
    }

    /** True for the types this version defines. */
    public static boolean isKnown(final int type) {
        return type >= DATA && type <= DATA_FIN;
    }
}
