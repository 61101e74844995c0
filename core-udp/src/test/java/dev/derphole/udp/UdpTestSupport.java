package dev.derphole.udp;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** Helpers for engine tests: deterministic payloads, loopback addresses, and collecting receives. */
public final class UdpTestSupport {
    /** How long helpers wait for datagrams that should arrive on loopback, in ns. */
    public static final long ARRIVAL_TIMEOUT_NS = 5_000_000_000L;

    private UdpTestSupport() {
    }

    /** 127.0.0.1, port 0. */
    public static InetSocketAddress loopback4() {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
    }

    /** ::1, port 0. */
    public static InetSocketAddress loopback6() {
        try {
            return new InetSocketAddress(InetAddress.getByName("::1"), 0);
        } catch (final IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Null when ::1 can be bound, else why not (so IPv6 tests can say why they skip). */
    public static String ipv6Unavailable() {
        try (DatagramChannel channel = DatagramChannel.open(StandardProtocolFamily.INET6)) {
            channel.bind(loopback6());
            return null;
        } catch (final IOException | UnsupportedOperationException e) {
            return "::1 cannot be bound here: " + e;
        }
    }

    /**
     * Payload {@code sequence} of a test: the first 4 bytes are the sequence number (when the length allows),
     * the rest seeded random bytes, so any mix-up of datagrams or boundaries shows.
     */
    public static byte[] payload(final long seed, final int sequence, final int length) {
        final byte[] bytes = new byte[length];
        new SplittableRandom(seed * 31 + sequence).nextBytes(bytes);
        for (int i = 0; i < Math.min(4, length); i++) {
            bytes[i] = (byte)(sequence >>> (24 - 8 * i));
        }
        return bytes;
    }

    /**
     * A short description of a payload made by {@link #payload}: sequence number, length and a CRC, so
     * failed comparisons print readable lists instead of whole byte arrays.
     */
    public static String describe(final byte[] payload) {
        final java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(payload);
        final int sequence = payload.length >= 4
            ? (payload[0] & 0xff) << 24 | (payload[1] & 0xff) << 16 | (payload[2] & 0xff) << 8 | payload[3] & 0xff : -1;
        return "#" + sequence + "/" + payload.length + "B/" + Long.toHexString(crc.getValue());
    }

    /** {@link #describe} of each payload. */
    public static List<String> describeAll(final List<byte[]> payloads) {
        final List<String> out = new ArrayList<>(payloads.size());
        for (final byte[] payload : payloads) {
            out.add(describe(payload));
        }
        return out;
    }

    /** {@link #describe} of each received payload. */
    public static List<String> describeReceived(final List<Received> received) {
        final List<String> out = new ArrayList<>(received.size());
        for (final Received r : received) {
            out.add(describe(r.payload()));
        }
        return out;
    }

    /** A received datagram, copied out of its batch, with its {@link PacketBatch#receivedNs(int)}. */
    public record Received(byte[] payload, InetSocketAddress source, long receivedNs) {
    }

    /**
     * Receives until {@code count} datagrams arrived or {@link #ARRIVAL_TIMEOUT_NS} passed; then waits a
     * little longer to catch extras.
     */
    public static List<Received> receive(
        final DatagramEngine engine, final PacketBatch batch, final int count) throws IOException {
        final List<Received> out = new ArrayList<>();
        final long deadline = System.nanoTime() + ARRIVAL_TIMEOUT_NS;
        while (out.size() < count && System.nanoTime() < deadline) {
            collect(engine, batch, out, 100_000_000L);
        }
        collect(engine, batch, out, 20_000_000L);
        return out;
    }

    private static void collect(
        final DatagramEngine engine, final PacketBatch batch, final List<Received> out, final long timeoutNs)
        throws IOException {
        final int n = engine.receiveBatch(batch, timeoutNs);
        for (int i = 0; i < n; i++) {
            final byte[] bytes = new byte[batch.length(i)];
            batch.copyTo(i, bytes, 0);
            out.add(new Received(bytes, batch.address(i), batch.receivedNs(i)));
        }
    }

    /** Receives up to {@code count} datagrams from a plain NIO channel (blocking with a timeout loop). */
    public static List<byte[]> receivePlain(final DatagramChannel channel, final int count) throws IOException {
        final List<byte[]> out = new ArrayList<>();
        final java.nio.ByteBuffer buffer = java.nio.ByteBuffer.allocate(65536);
        channel.configureBlocking(false);
        final long deadline = System.nanoTime() + ARRIVAL_TIMEOUT_NS;
        long quietUntil = Long.MAX_VALUE;
        while (System.nanoTime() < Math.min(deadline, quietUntil)) {
            buffer.clear();
            if (channel.receive(buffer) == null) {
                java.util.concurrent.locks.LockSupport.parkNanos(200_000);
                if (out.size() >= count && quietUntil == Long.MAX_VALUE) {
                    quietUntil = System.nanoTime() + 20_000_000L;
                }
                continue;
            }
            buffer.flip();
            final byte[] bytes = new byte[buffer.remaining()];
            buffer.get(bytes);
            out.add(bytes);
        }
        return out;
    }
}
