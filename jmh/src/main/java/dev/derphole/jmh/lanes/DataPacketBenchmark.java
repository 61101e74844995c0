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

import dev.derphole.jmh.HotPathBenchmark;
import dev.derphole.lanes.engine.ByteRing;
import dev.derphole.lanes.wire.BigEndian;
import dev.derphole.lanes.wire.Truncated;

/**
 * The DATA packet around the AEAD, without it: {@link #build} is what {@code SendEngine.sendData} does before
 * {@code codec.seal} (flags, stream offset, payload copied out of the send ring); {@link #accept} is what
 * {@code ReceiveEngine.onData} does after {@code codec.open} (flags check, offset restored and checked, payload
 * copied into the receive ring). Rings have the default 32 MiB; the stream offset moves on every call, so copies wrap.
 */
@State(Scope.Thread)
public class DataPacketBenchmark extends HotPathBenchmark {
    private static final int RING_BYTES = 32 << 20;

    /** DATA payload bytes: a 1,400 B direct-path packet, 8 KiB, and a ~60 KiB relay datagram. */
    @Param({"1400", "8192", "61440"})
    public int payloadLength;

    private ByteRing sendRing;
    private ByteRing receiveRing;
    private byte[] tx;
    private byte[] rx;
    private long sendOffset;
    private long receiveOffset;

    @Setup
    public void setUp() {
        final SplittableRandom random = new SplittableRandom(23);
        sendRing = new ByteRing(RING_BYTES);
        final byte[] bytes = new byte[RING_BYTES];
        random.nextBytes(bytes);
        sendRing.copyIn(0, bytes, 0, RING_BYTES);
        receiveRing = new ByteRing(RING_BYTES);
        tx = new byte[payloadLength + DATA_OVERHEAD];
        rx = new byte[payloadLength + DATA_PAYLOAD_OFFSET];
        random.nextBytes(rx);
    }

    /** Sender: DATA header and payload into the transmit buffer; returns the body length to seal. */
    @Benchmark
    public int build() {
        final long start = sendOffset;
        sendOffset += payloadLength;
        BigEndian.putInt(tx, HEADER_LENGTH + DATA_STREAM_OFFSET_OFFSET, Truncated.STREAM_OFFSET.truncate(start));
        sendRing.copyOut(start, tx, HEADER_LENGTH + DATA_PAYLOAD_OFFSET, payloadLength);
        return DATA_PAYLOAD_OFFSET + payloadLength + tx[HEADER_LENGTH + DATA_PAYLOAD_OFFSET + (int)(start & 0x3FF)];
    }

    /** Receiver: parse and check an opened DATA body, copy its payload into the ring; returns its end. */
    @Benchmark
    public long accept() {
        // what the peer would have sent
        BigEndian.putInt(rx, DATA_STREAM_OFFSET_OFFSET, Truncated.STREAM_OFFSET.truncate(receiveOffset));
        final int bodyLength = rx.length;
        final long offset = Truncated.STREAM_OFFSET.expand(BigEndian.getInt(rx, DATA_STREAM_OFFSET_OFFSET),
            receiveOffset);
        final int length = bodyLength - DATA_PAYLOAD_OFFSET;
        final long end = offset + length;
        if (end - receiveOffset > RING_BYTES) {
            throw new IllegalStateException("malformed DATA");
        }
        receiveRing.copyIn(offset, rx, DATA_PAYLOAD_OFFSET, length);
        receiveRing.publishProducer(end);
        receiveRing.publishConsumer(end); // an instant sink: keep the ring empty
        receiveOffset = end;
        return end;
    }
}
