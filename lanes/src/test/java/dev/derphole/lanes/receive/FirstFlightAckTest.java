package dev.derphole.lanes.receive;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.derphole.lanes.StreamConfig;
import dev.derphole.lanes.StreamException;
import dev.derphole.lanes.StreamKeys;
import dev.derphole.lanes.StreamListener;
import dev.derphole.lanes.engine.StreamCounters;
import dev.derphole.lanes.testing.StreamPair;
import dev.derphole.lanes.wire.AckFrame;
import dev.derphole.lanes.wire.BigEndian;
import dev.derphole.lanes.wire.PacketCodec;
import dev.derphole.lanes.wire.PacketType;
import dev.derphole.lanes.wire.WireFormat;
import dev.derphole.udp.PacketPath;

/**
 * A sender times its first flight on a path by the ACKs it gets for it (a packet train): the receiver must answer
 * that flight every few packets even when it finds all of it waiting at once, with ACK delays counted from when
 * each packet reached the host, so the sender can tell how far apart the packets arrived.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class FirstFlightAckTest {
    private static final int CHUNK = 1_000;
    private static final int FLIGHT = 64;
    private static final long SPACING_NS = 50_000L;
    private static final StreamConfig CONFIG = StreamConfig.builder()
        .linger(Duration.ofMillis(50))
        .peerTimeout(Duration.ofSeconds(20))
        .build();

    private final StreamKeys keys = StreamPair.keys(91);
    private final PacketCodec peer = new PacketCodec(keys.senderToReceiverKey(), keys.senderToReceiverPrefix(),
        keys.receiverToSenderKey(), keys.receiverToSenderPrefix(), new StreamCounters());
    private final byte[] packet = new byte[WireFormat.MAX_DATAGRAM_LENGTH];

    /** A path that records what the engine sends, and when. */
    private static final class RecordingPath implements PacketPath {
        volatile PacketHandler handler;
        final List<byte[]> sent = new ArrayList<>();
        final List<Long> sentAtNs = new ArrayList<>();

        @Override
        public String name() {
            return "direct";
        }

        @Override
        public int maxDatagramLength() {
            return 1452;
        }

        @Override
        public synchronized boolean send(final byte[] buffer, final int offset, final int length) {
            sentAtNs.add(System.nanoTime());
            sent.add(Arrays.copyOfRange(buffer, offset, offset + length));
            return true;
        }

        @Override
        public void receiver(final PacketHandler h) {
            handler = h;
        }

        @Override
        public void close() {
        }
    }

    @Test
    void shouldAcknowledgeAFirstFlightFoundWaitingEveryFewPacketsWithDelaysFromItsArrivals() throws Exception {
        final RecordingPath path = new RecordingPath();
        final ReceiveEngine engine = new ReceiveEngine(CONFIG, keys, path, new StreamCounters(), StreamListener.NONE);
        // The whole flight waits in the inbox before the engine runs: one drain takes it.
        final long base = System.nanoTime() - 20_000_000L;
        final byte[] stream = new byte[FLIGHT * CHUNK];
        for (int i = 0; i < FLIGHT; i++) {
            final byte[] d = data((long)i * CHUNK, stream, i * CHUNK, i == FLIGHT - 1);
            path.handler.onPacket(path, MemorySegment.ofArray(d), 0, d.length, new byte[d.length],
                base + i * SPACING_NS);
        }
        final CompletableFuture<Long> done = CompletableFuture.supplyAsync(() -> {
            try {
                return engine.run(new ByteArrayOutputStream());
            } catch (final StreamException e) {
                throw new IllegalStateException(e);
            }
        });
        assertThat(done.get(20, TimeUnit.SECONDS)).isEqualTo(stream.length);

        final byte[] body = new byte[WireFormat.MAX_DATAGRAM_LENGTH];
        final AckFrame ack = new AckFrame();
        final List<Long> largest = new ArrayList<>();
        synchronized (path) {
            for (int i = 0; i < path.sent.size(); i++) {
                final byte[] d = path.sent.get(i);
                final int n = peer.open(d, 0, d.length, body);
                if (n < 0 || peer.openedType() != PacketType.ACK || !ack.decode(body, n)
                    || (ack.flags & WireFormat.ACK_FLAG_HAS_ECHO) == 0 || largest.contains(ack.largestPacketNumber)) {
                    continue;
                }
                largest.add(ack.largestPacketNumber);
                // Sent at sentAtNs less its delay = when that packet reached the host (20 ms before the engine
                // took it; the delay is computed a moment before the send is recorded).
                final long arrived = path.sentAtNs.get(i) - ack.ackDelayMicros * 1000L;
                final long stamp = base + ack.largestPacketNumber * SPACING_NS;
                assertThat(arrived).as("arrival of packet %d", ack.largestPacketNumber)
                    .isBetween(stamp - 100_000L, stamp + 5_000_000L);
            }
        }
        assertThat(largest).as("one ACK per %d packets of the flight", CONFIG.ackEveryPackets())
            .hasSizeGreaterThanOrEqualTo(FLIGHT / CONFIG.ackEveryPackets());
    }

    private byte[] data(final long offset, final byte[] source, final int from, final boolean fin) {
        BigEndian.putInt(packet, WireFormat.HEADER_LENGTH + WireFormat.DATA_STREAM_OFFSET_OFFSET, (int)offset);
        System.arraycopy(source, from, packet, WireFormat.HEADER_LENGTH + WireFormat.DATA_PAYLOAD_OFFSET, CHUNK);
        final int n = peer.seal(fin ? PacketType.DATA_FIN : PacketType.DATA, packet,
            WireFormat.DATA_PAYLOAD_OFFSET + CHUNK);
        return Arrays.copyOf(packet, n);
    }
}
