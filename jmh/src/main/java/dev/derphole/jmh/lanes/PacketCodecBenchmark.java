package dev.derphole.jmh.lanes;

import static dev.derphole.lanes.wire.WireFormat.DATA_OVERHEAD;
import static dev.derphole.lanes.wire.WireFormat.DATA_PAYLOAD_OFFSET;
import static dev.derphole.lanes.wire.WireFormat.DATA_STREAM_OFFSET_OFFSET;
import static dev.derphole.lanes.wire.WireFormat.HEADER_LENGTH;

import java.util.SplittableRandom;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.infra.Blackhole;

import dev.derphole.jmh.HotPathBenchmark;

import dev.derphole.lanes.engine.StreamCounters;
import dev.derphole.lanes.wire.BigEndian;
import dev.derphole.lanes.wire.CodecWarmup;
import dev.derphole.lanes.wire.PacketCodec;
import dev.derphole.lanes.wire.PacketType;

/**
 * The stream engine's AEAD stage: {@link PacketCodec} sealing DATA packets as {@code SendEngine.sendData} does
 * (DATA header written into the body, then {@code seal} in place), and the receiver's {@code open} of each
 * into its own body buffer, with the replay check and counters.
 * <p>
 * {@code open} cannot be measured alone on a fixed set of packets: the codec's replay window refuses a packet
 * number twice, and sealing enough fresh packets in advance would need gigabytes. So {@link #sealThenOpen}
 * measures one packet through both ends, and the open cost is the difference to {@link #seal}
 * ({@code SessionAeadBenchmark.open} measures the bare GCM open).
 */
@State(Scope.Thread)
public class PacketCodecBenchmark extends HotPathBenchmark {
    /** DATA payload bytes: a 1,400 B direct-path packet, 8 KiB, and a ~60 KiB relay datagram. */
    @Param({"1400", "8192", "61440"})
    public int payloadLength;

    private PacketCodec sender;
    private PacketCodec receiver;
    private PacketCodec sealOnly;
    private byte[] tx;
    private byte[] rx;
    private long streamOffset;

    @Setup
    public void setUp() {
        warmUpLikeTheProduct();
        final SplittableRandom random = new SplittableRandom(7);
        final byte[] s2r = new byte[32];
        final byte[] r2s = new byte[32];
        random.nextBytes(s2r);
        random.nextBytes(r2s);
        final StreamCounters senderCounters = new StreamCounters();
        final StreamCounters receiverCounters = new StreamCounters();
        sender = new PacketCodec(s2r, 1, r2s, 2, senderCounters);
        receiver = new PacketCodec(r2s, 2, s2r, 1, receiverCounters);
        sealOnly = new PacketCodec(s2r, 3, r2s, 4, new StreamCounters());
        tx = new byte[payloadLength + DATA_OVERHEAD];
        random.nextBytes(tx);
        rx = new byte[payloadLength + DATA_PAYLOAD_OFFSET];
    }

    /** DATA header (flags, stream offset) and an in-place seal; returns the datagram length. */
    @Benchmark
    public int seal() {
        writeDataHeader();
        return sealOnly.seal(PacketType.DATA, tx, DATA_PAYLOAD_OFFSET + payloadLength);
    }

    /** One DATA packet sealed by the sender and opened by the receiver; checks the length and the offset. */
    @Benchmark
    public void sealThenOpen(final Blackhole bh) {
        final long offset = writeDataHeader();
        final int datagram = sender.seal(PacketType.DATA, tx, DATA_PAYLOAD_OFFSET + payloadLength);
        final int body = receiver.open(tx, 0, datagram, rx);
        if (body != DATA_PAYLOAD_OFFSET + payloadLength
            || BigEndian.getInt(rx, DATA_STREAM_OFFSET_OFFSET) != (int)offset) {
            throw new IllegalStateException("open failed: " + body);
        }
        bh.consume(receiver.openedPacketNumber());
        bh.consume(rx[DATA_PAYLOAD_OFFSET + (int)(offset & 0x3FF)]);
    }

    private long writeDataHeader() {
        final long offset = streamOffset;
        streamOffset += payloadLength;
        BigEndian.putInt(tx, HEADER_LENGTH + DATA_STREAM_OFFSET_OFFSET, (int)offset);
        return offset;
    }

    /**
     * Runs {@link CodecWarmup} as a session does before its first packet. Without it the ~60 KiB case measures
     * the interpreter: the JDK's AES-GCM intrinsic is only used from C2-compiled callers, and at ~1,000 calls/s
     * JMH's warm-up takes 3-4 s to get there (measured: 965 ops/s in the first second, 143,000 from the third).
     */
    private static void warmUpLikeTheProduct() {
        if (CodecWarmup.run(CodecWarmup.ROUNDS) != CodecWarmup.ROUNDS) {
            throw new IllegalStateException("AES-GCM warm-up failed");
        }
    }
}
