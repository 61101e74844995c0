package dev.derphole.udp;

import static dev.derphole.udp.UdpTestSupport.describeAll;
import static dev.derphole.udp.UdpTestSupport.loopback4;
import static dev.derphole.udp.UdpTestSupport.payload;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class DirectUdpPathTest {
    private static final long SEED = 0x0D1EC7L;

    private final List<AutoCloseable> resources = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (int i = resources.size() - 1; i >= 0; i--) {
            resources.get(i).close();
        }
    }

    private DatagramEngine engine() throws IOException {
        final DatagramEngine engine = DatagramEngines.open(DatagramEngineConfig.builder(loopback4()).build());
        resources.add(engine);
        return engine;
    }

    private DirectUdpPath path(final DatagramEngine engine, final InetSocketAddress remote, final int gso) {
        final DirectUdpPath path = new DirectUdpPath(engine, remote, gso);
        resources.add(path);
        return path;
    }

    private static void awaitTrue(final BooleanSupplier condition) {
        final long deadline = System.nanoTime() + UdpTestSupport.ARRIVAL_TIMEOUT_NS;
        while (!condition.getAsBoolean() && System.nanoTime() < deadline) {
            LockSupport.parkNanos(1_000_000L);
        }
    }

    @Test
    void shouldCarryDatagramsBothWaysBetweenTwoPaths() throws IOException {
        final DatagramEngine left = engine();
        final DatagramEngine right = engine();
        final DirectUdpPath a = path(left, right.localAddress(), 0);
        final DirectUdpPath b = path(right, left.localAddress(), 1400);
        final List<byte[]> atA = new CopyOnWriteArrayList<>();
        final List<byte[]> atB = new CopyOnWriteArrayList<>();
        a.receiver((path, buffer, offset, length) -> {
            assertThat(path).isSameAs(a);
            atA.add(java.util.Arrays.copyOfRange(buffer, offset, offset + length));
        });
        b.receiver((path, buffer, offset, length) -> atB.add(java.util.Arrays.copyOfRange(buffer, offset, offset
            + length)));

        final List<byte[]> sentByA = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            final byte[] message = payload(SEED, i, 1 + i * 13);
            sentByA.add(message);
            assertThat(a.send(message, 0, message.length)).isTrue();
        }
        final List<byte[]> sentByB = new ArrayList<>();
        for (int i = 0; i < 150; i++) {
            final byte[] message = payload(SEED, 1000 + i, i == 149 ? 17 : 1400);
            sentByB.add(message);
            if (!b.offer(message, 0, message.length)) {
                b.sendPending();
                assertThat(b.offer(message, 0, message.length)).isTrue();
            }
        }
        assertThat(b.pendingCount()).isPositive();
        b.sendPending();
        assertThat(b.pendingCount()).isZero();
        awaitTrue(() -> atA.size() >= 150 && atB.size() >= 100);

        assertThat(describeAll(atB)).containsExactlyElementsOf(describeAll(sentByA));
        assertThat(describeAll(atA)).containsExactlyElementsOf(describeAll(sentByB));
        assertThat(a.delivered()).isEqualTo(150);
        assertThat(b.refusedOffers()).isEqualTo(2);
        if (right.supportsGso()) {
            assertThat(right.counters().get(UdpCounter.GSO_MESSAGES)).isPositive();
        }
    }

    @Test
    void shouldDropAndCountDatagramsFromOtherSources() throws IOException {
        final DatagramEngine left = engine();
        final DatagramEngine right = engine();
        final DatagramEngine stranger = engine();
        final DirectUdpPath a = path(left, right.localAddress(), 0);
        final List<String> got = new CopyOnWriteArrayList<>();
        a.receiver((path, buffer, offset, length) -> got.add(new String(buffer, offset, length,
            java.nio.charset.StandardCharsets.US_ASCII)));

        try (PacketBatch out = new PacketBatch(2, 100)) {
            out.add("spoof".getBytes(java.nio.charset.StandardCharsets.US_ASCII), 0, 5, left.localAddress());
            stranger.sendBatch(out);
            out.clear();
            out.add("peer".getBytes(java.nio.charset.StandardCharsets.US_ASCII), 0, 4, left.localAddress());
            right.sendBatch(out);
        }
        awaitTrue(() -> got.size() >= 1 && a.foreignSourceDrops() >= 1);

        assertThat(got).containsExactly("peer");
        assertThat(a.foreignSourceDrops()).isEqualTo(1);
    }

    @Test
    void shouldKeepReceivingWhenTheHandlerThrows() throws IOException {
        final DatagramEngine left = engine();
        final DatagramEngine right = engine();
        final DirectUdpPath a = path(left, right.localAddress(), 0);
        final DirectUdpPath b = path(right, left.localAddress(), 0);
        final List<Integer> lengths = new CopyOnWriteArrayList<>();
        a.receiver((path, buffer, offset, length) -> {
            if (length == 3) {
                throw new IllegalStateException("handler bug");
            }
            lengths.add(length);
        });

        b.send(new byte[3], 0, 3);
        b.send(new byte[4], 0, 4);
        awaitTrue(() -> lengths.size() >= 1);

        assertThat(lengths).containsExactly(4);
        assertThat(a.handlerFailures()).isEqualTo(1);
        assertThat(a.failure()).isNull();
    }

    @Test
    void shouldStopOnCloseAndRefuseSendsAfterwards() throws Exception {
        final DatagramEngine left = engine();
        final DatagramEngine right = engine();
        final DirectUdpPath a = path(left, right.localAddress(), 0);
        a.receiver((path, buffer, offset, length) -> { });
        awaitTrue(() -> threadNamed("derphole-udp-rx-" + left.localAddress().getPort()) != null);
        final Thread receiveThread = threadNamed("derphole-udp-rx-" + left.localAddress().getPort());
        assertThat(receiveThread).isNotNull();

        a.close();
        a.close();
        receiveThread.join(2000);

        assertThat(receiveThread.isAlive()).isFalse();
        assertThat(left.isOpen()).isFalse();
        assertThat(a.send(new byte[1], 0, 1)).isFalse();
        assertThat(a.offer(new byte[1], 0, 1)).isTrue();
        assertThat(a.sendPending()).isZero();
        assertThat(a.name()).isEqualTo("direct");
        assertThat(a.maxDatagramLength()).isEqualTo(DatagramEngineConfig.DEFAULT_MAX_DATAGRAM_BYTES);
        assertThatThrownBy(() -> a.send(new byte[2000], 0, 2000)).isInstanceOf(IllegalArgumentException.class);
    }

    private static Thread threadNamed(final String name) {
        for (final Thread thread : Thread.getAllStackTraces().keySet()) {
            if (thread.getName().equals(name)) {
                return thread;
            }
        }
        return null;
    }
}
