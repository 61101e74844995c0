package dev.derphole.udp;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The seam between the session layer, which finds and owns paths to the peer (the DERP relay, direct UDP
 * lanes), and the data planes that send over them (the stream engine in {@code lanes}, QUIC later).
 * <p>
 * A path carries opaque datagrams to one peer, unreliably and possibly out of order: the engine above
 * does sequencing, repair and encryption. Received datagrams are pushed to the {@link PacketHandler}
 * from the path's own receive thread.
 * <p>
 * Implementations are thread-safe for {@link #send} from one sender thread at a time per path.
 */
public interface PacketPath extends AutoCloseable {
    /** Receives datagrams arriving on a path. Called from the path's receive thread; must not block long. */
    @FunctionalInterface
    interface PacketHandler {
        /**
         * One datagram. The buffer is only valid for the duration of the call.
         *
         * @param path   the path it arrived on (so a switchable path can tell relay from direct)
         * @param buffer bytes of the datagram at {@code [offset, offset + length)}
         */
        void onPacket(PacketPath path, byte[] buffer, int offset, int length);

        /**
         * One datagram still in native memory (a receive batch): {@code segment[offset, offset + length)}, valid
         * for the duration of the call. A handler that keeps datagrams overrides this to copy them once, straight
         * to where they go; the default copies into {@code scratch} (at least {@code length} bytes) and calls
         * {@link #onPacket(PacketPath, byte[], int, int)}.
         */
        default void onPacket(
            final PacketPath path, final MemorySegment segment, final long offset, final int length,
            final byte[] scratch) {
            MemorySegment.copy(segment, ValueLayout.JAVA_BYTE, offset, scratch, 0, length);
            onPacket(path, scratch, 0, length);
        }

        /**
         * As {@link #onPacket(PacketPath, MemorySegment, long, int, byte[])}, with the time the datagram reached
         * the host ({@link PacketBatch#receivedNs(int)}: the {@link System#nanoTime()} clock, 0 when unknown). A
         * handler that times arrivals overrides this one; the default drops the time.
         */
        default void onPacket(
            final PacketPath path, final MemorySegment segment, final long offset, final int length,
            final byte[] scratch, final long receivedNs) {
            onPacket(path, segment, offset, length, scratch);
        }
    }

    /** Short name for status lines and counters: {@code relay}, {@code direct}. */
    String name();

    /**
     * Largest datagram this path carries, in bytes. It may grow while the path is in use (a direct path whose
     * path MTU probe found room); senders read it again for every burst.
     */
    int maxDatagramLength();

    /**
     * A round-trip time measured on this path before a stream used it (a direct path's validating probe), in ns;
     * 0 when unknown. A sender that switches onto the path starts its retransmission timer from it: without it
     * the first flight waits for the initial timeout (1 s) if the peer drops it (the receiver of a direct path
     * promotes it up to a round trip after the sender does, and drops stream packets until then).
     */
    default long rttHintNanos() {
        return 0;
    }

    /**
     * Largest datagram that may arrive on this path, in bytes: at least {@link #maxDatagramLength()}, larger when
     * the peer's direction carries more than ours (each side measures the path MTU it sends on).
     */
    default int maxReceiveLength() {
        return maxDatagramLength();
    }

    /**
     * The datagram size a receiver should make its buffers for, in bytes: at least {@link #maxDatagramLength()};
     * larger datagrams (up to {@link #maxReceiveLength()}) are rare and may take a slower way in.
     */
    default int typicalReceiveLength() {
        return maxDatagramLength();
    }

    /**
     * True when this path loses datagrams only by overflowing a queue (a reliable transport underneath, like
     * the DERP relay over TCP), so every loss means congestion and none is random loss to tolerate. Default
     * false (UDP).
     */
    default boolean lossIsCongestion() {
        return false;
    }

    /**
     * Sends one datagram. May block briefly when the path applies backpressure (the relay's send queue);
     * never blocks indefinitely. The path copies or consumes the bytes before returning: the caller reuses
     * {@code buffer} for the next datagram at once.
     *
     * @return false when the datagram was dropped locally (queue full, path closed); the engine repairs it
     * @throws IOException when the path has failed for good
     */
    boolean send(byte[] buffer, int offset, int length) throws IOException;

    /**
     * Like {@link #send}, but a path that batches (direct UDP: one system call, GSO where the kernel has it)
     * may hold the datagram back until {@link #flush()}; the others send it at once. The bytes are copied
     * before this returns either way.
     *
     * @return false when the datagram was dropped locally; a datagram held back and lost at {@link #flush()}
     * is not reported (the engine repairs it like any loss)
     */
    default boolean queue(final byte[] buffer, final int offset, final int length) throws IOException {
        return send(buffer, offset, length);
    }

    /** Sends what {@link #queue} held back, if anything. From the sender thread only. */
    default void flush() throws IOException {
    }

    /**
     * Drops datagrams this path still holds queued for the peer and has not sent (the relay's send queue can hold
     * megabytes): called before a final ABORT, which should not wait behind data the peer will never use. From
     * the sender thread only; the default holds nothing back.
     */
    default void discardQueued() {
    }

    /** Installs the handler for received datagrams; replaces any earlier one. */
    void receiver(PacketHandler handler);

    /** Closes the path; idempotent. */
    @Override
    void close();
}
