package dev.derphole.derp.server;

import static dev.derphole.derp.server.DerpServerHandshakeTest.awaitCounter;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.derphole.crypto.nacl.Curve25519KeyPair;
import dev.derphole.derp.proto.DerpProtocol;
import dev.derphole.derp.proto.FrameType;
import dev.derphole.derp.proto.NodeKey;

@Timeout(60)
class DerpServerForwardingTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final Duration QUIET = Duration.ofMillis(300);

    @Test
    void shouldExchangeTenThousandPacketsEachWayInOrderWithoutLoss() throws Exception {
        final int count = 10_000;
        try (DerpServer server = TestRelays.startPlain(b -> b.queueDepth(2 * count));
             RawDerpTestClient a = RawDerpTestClient.connect(server);
             RawDerpTestClient b = RawDerpTestClient.connect(server);
             ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            final Future<?> aToB = pool.submit(() -> send(a, b.key(), count, 1));
            final Future<?> bToA = pool.submit(() -> send(b, a.key(), count, 2));
            final Future<Integer> atB = pool.submit(() -> receive(b, a.key(), count, 1));
            final Future<Integer> atA = pool.submit(() -> receive(a, b.key(), count, 2));
            aToB.get();
            bToA.get();
            assertThat(atB.get()).isEqualTo(count);
            assertThat(atA.get()).isEqualTo(count);
            assertThat(server.counters().packetsReceived()).isEqualTo(2L * count);
            awaitCounter(() -> server.counters().packetsForwarded(), 2L * count);
            assertThat(server.counters().drops()).isZero();
        }
    }

    private static Void send(final RawDerpTestClient from, final NodeKey to, final int count, final long seed)
        throws IOException {
        final SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < count; i++) {
            final byte[] p = packet(random, i);
            from.sendPacket(to, p, 0, p.length, i % 16 == 15 || i == count - 1);
        }
        return null;
    }

    private static int receive(final RawDerpTestClient at, final NodeKey from, final int count, final long seed)
        throws IOException {
        final SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < count; i++) {
            final RawDerpTestClient.Frame f = at.expect(FrameType.RECV_PACKET, WAIT);
            assertThat(f.key()).isEqualTo(from);
            final byte[] expected = packet(random, i);
            if (!Arrays.equals(f.data(), expected)) {
                throw new AssertionError("packet " + i + " differs (length " + f.data().length + " vs "
                    + expected.length + ")");
            }
        }
        return count;
    }

    /** Packet i: 4-byte sequence number then seeded random bytes, 4..1404 bytes long. */
    private static byte[] packet(final SplittableRandom random, final int i) {
        final byte[] p = new byte[4 + random.nextInt(1401)];
        random.nextBytes(p);
        p[0] = (byte)(i >>> 24);
        p[1] = (byte)(i >>> 16);
        p[2] = (byte)(i >>> 8);
        p[3] = (byte)i;
        return p;
    }

    @Test
    void shouldSendPeerGoneToEveryoneThatExchangedPacketsWithADepartedPeer() throws Exception {
        try (DerpServer server = TestRelays.startPlain();
             RawDerpTestClient gone = RawDerpTestClient.connect(server);
             RawDerpTestClient wroteToGone = RawDerpTestClient.connect(server);
             RawDerpTestClient heardFromGone = RawDerpTestClient.connect(server);
             RawDerpTestClient bystander = RawDerpTestClient.connect(server)) {
            // wroteToGone -> gone (our addition: a sender learns its destination left)
            wroteToGone.sendPacket(gone.key(), bytes("to gone"));
            assertThat(gone.expect(FrameType.RECV_PACKET, WAIT).key()).isEqualTo(wroteToGone.key());
            // gone -> heardFromGone (derper's sawSrc rule)
            gone.sendPacket(heardFromGone.key(), bytes("from gone"));
            assertThat(heardFromGone.expect(FrameType.RECV_PACKET, WAIT).key()).isEqualTo(gone.key());

            gone.disconnect();

            for (final RawDerpTestClient c : List.of(wroteToGone, heardFromGone)) {
                final RawDerpTestClient.Frame f = c.expect(FrameType.PEER_GONE, WAIT);
                assertThat(f.key()).isEqualTo(gone.key());
                assertThat(f.payload()).hasSize(DerpProtocol.KEY_LENGTH + 1);
                assertThat(f.payload()[DerpProtocol.KEY_LENGTH]).isEqualTo((byte)DerpProtocol.PEER_GONE_DISCONNECTED);
            }
            assertNextIsPong(bystander);
            assertThat(server.counters().peerGoneDisconnectedSent()).isEqualTo(2);
            awaitCounter(() -> server.counters().currentClients(), 3);
        }
    }

    @Test
    void shouldSendPeerGoneAgainAfterThePeerReconnectsAndLeavesAgain() throws Exception {
        final Curve25519KeyPair peerKeys = Curve25519KeyPair.generate();
        try (DerpServer server = TestRelays.startPlain();
             RawDerpTestClient sender = RawDerpTestClient.connect(server)) {
            for (int round = 0; round < 2; round++) {
                try (RawDerpTestClient peer = RawDerpTestClient.connect(server, peerKeys)) {
                    sender.sendPacket(peer.key(), bytes("round " + round));
                    assertThat(peer.expect(FrameType.RECV_PACKET, WAIT).dataText()).isEqualTo("round " + round);
                }
                assertThat(sender.expect(FrameType.PEER_GONE, WAIT).key()).isEqualTo(NodeKey.of(peerKeys.publicKey()));
            }
        }
    }

    @Test
    void shouldRouteToTheNewestDuplicateAndTellTheOlderOne() throws Exception {
        final Curve25519KeyPair shared = Curve25519KeyPair.generate();
        try (DerpServer server = TestRelays.startPlain();
             RawDerpTestClient sender = RawDerpTestClient.connect(server);
             RawDerpTestClient older = RawDerpTestClient.connect(server, shared)) {
            sender.sendPacket(older.key(), bytes("one"));
            assertThat(older.expect(FrameType.RECV_PACKET, WAIT).dataText()).isEqualTo("one");

            try (RawDerpTestClient newer = RawDerpTestClient.connect(server, shared)) {
                final RawDerpTestClient.Frame health = older.readFrame(WAIT);
                assertThat(health.type()).isEqualTo(FrameType.HEALTH);
                assertThat(health.text()).isEqualTo(ClientRegistry.DUPLICATE_HEALTH_TEXT);
                assertThat(server.counters().duplicateConnections()).isEqualTo(1);
                assertThat(server.connectedKeys()).isEqualTo(2);

                sender.sendPacket(shared(shared), bytes("two"));
                assertThat(newer.expect(FrameType.RECV_PACKET, WAIT).dataText()).isEqualTo("two");
                assertNothingArrives(older);
            }
            // The newer one left: the older takes over, its warning is cleared, and the key never "left".
            final RawDerpTestClient.Frame cleared = older.readFrame(WAIT);
            assertThat(cleared.type()).isEqualTo(FrameType.HEALTH);
            assertThat(cleared.payload()).isEmpty();
            sender.sendPacket(shared(shared), bytes("three"));
            assertThat(older.expect(FrameType.RECV_PACKET, WAIT).dataText()).isEqualTo("three");
            assertNextIsPong(sender);
            assertThat(server.counters().peerGoneDisconnectedSent()).isZero();
        }
    }

    @Test
    void shouldRouteToTheDuplicateThatSpokeLast() throws Exception {
        final Curve25519KeyPair shared = Curve25519KeyPair.generate();
        try (DerpServer server = TestRelays.startPlain();
             RawDerpTestClient sender = RawDerpTestClient.connect(server);
             RawDerpTestClient older = RawDerpTestClient.connect(server, shared);
             RawDerpTestClient newer = RawDerpTestClient.connect(server, shared)) {
            assertThat(older.readFrame(WAIT).type()).isEqualTo(FrameType.HEALTH);
            // derper's lastWriterIsActive: any frame from the older connection makes it the active one again.
            older.ping(new byte[8]);
            older.expect(FrameType.PONG, WAIT);
            sender.sendPacket(shared(shared), bytes("to older"));
            assertThat(older.expect(FrameType.RECV_PACKET, WAIT).dataText()).isEqualTo("to older");
            assertNothingArrives(newer);
        }
    }

    @Test
    void shouldAnswerPingWithPongCarryingTheFirstEightBytes() throws Exception {
        try (DerpServer server = TestRelays.startPlain();
             RawDerpTestClient c = RawDerpTestClient.connect(server)) {
            final byte[] ping = {1, 2, 3, 4, 5, 6, 7, 8};
            c.ping(ping);
            assertThat(c.expect(FrameType.PONG, WAIT).payload()).containsExactly(ping);

            final byte[] longPing = new byte[DerpProtocol.MAX_PING_LENGTH];
            Arrays.fill(longPing, (byte)9);
            c.sendFrame(FrameType.PING, longPing);
            assertThat(c.expect(FrameType.PONG, WAIT).payload()).containsExactly(9, 9, 9, 9, 9, 9, 9, 9);
            assertThat(server.counters().pingsReceived()).isEqualTo(2);
        }
    }

    @Test
    void shouldCoalesceUnansweredPingsIntoOnePong() throws Exception {
        try (DerpServer server = TestRelays.startPlain();
             RawDerpTestClient c = RawDerpTestClient.connect(server)) {
            for (int i = 0; i < 200; i++) {
                c.ping(new byte[] {0, 0, 0, 0, 0, 0, 0, (byte)i});
            }
            final List<Integer> pongs = new ArrayList<>();
            while (pongs.isEmpty() || pongs.get(pongs.size() - 1) != 199) {
                pongs.add(c.expect(FrameType.PONG, WAIT).payload()[7] & 0xff);
            }
            assertThat(pongs).isSorted().hasSizeBetween(1, 200);
            assertThat(server.counters().pongsSent()).isEqualTo(pongs.size());
        }
    }

    @Test
    void shouldCloseOnPingsOfTheWrongSize() throws Exception {
        try (DerpServer server = TestRelays.startPlain();
             RawDerpTestClient shortPing = RawDerpTestClient.connect(server);
             RawDerpTestClient longPing = RawDerpTestClient.connect(server)) {
            shortPing.sendFrame(FrameType.PING, new byte[7]);
            longPing.sendFrame(FrameType.PING, new byte[DerpProtocol.MAX_PING_LENGTH + 1]);
            assertThat(shortPing.awaitClosed(WAIT)).isTrue();
            assertThat(longPing.awaitClosed(WAIT)).isTrue();
            awaitCounter(() -> server.counters().malformedCloses(), 2);
        }
    }

    @Test
    void shouldSkipUnknownFramesAndStayConnected() throws Exception {
        try (DerpServer server = TestRelays.startPlain();
             RawDerpTestClient c = RawDerpTestClient.connect(server)) {
            c.sendFrame(0x7f, new byte[500]);
            c.sendFrame(FrameType.KEEP_ALIVE, new byte[0]);
            c.sendFrame(0x42, new byte[DerpProtocol.MAX_PACKET_SIZE + 100]);
            c.sendFrame(FrameType.NOTE_PREFERRED, new byte[] {1});
            assertNextIsPong(c);
            assertThat(server.counters().framesSkipped()).isEqualTo(3);
        }
    }

    @Test
    void shouldCloseOnFramesLargerThanTheFrameLimit() throws Exception {
        try (DerpServer server = TestRelays.startPlain();
             RawDerpTestClient c = RawDerpTestClient.connect(server)) {
            c.sendRawHeader(0x42, DerpProtocol.MAX_FRAME_LENGTH + 1, new byte[0]);
            assertThat(c.awaitClosed(WAIT)).isTrue();
            awaitCounter(() -> server.counters().oversizeCloses(), 1);
        }
    }

    @Test
    void shouldCloseOnlyTheSenderOfAnOversizePacket() throws Exception {
        try (DerpServer server = TestRelays.startPlain();
             RawDerpTestClient bad = RawDerpTestClient.connect(server);
             RawDerpTestClient a = RawDerpTestClient.connect(server);
             RawDerpTestClient b = RawDerpTestClient.connect(server)) {
            final byte[] max = new byte[DerpProtocol.MAX_PACKET_SIZE];
            a.sendPacket(b.key(), max);
            assertThat(b.expect(FrameType.RECV_PACKET, WAIT).data()).hasSize(DerpProtocol.MAX_PACKET_SIZE);

            bad.sendRawHeader(FrameType.SEND_PACKET, DerpProtocol.KEY_LENGTH + DerpProtocol.MAX_PACKET_SIZE + 1,
                new byte[0]);
            assertThat(bad.awaitClosed(WAIT)).isTrue();
            awaitCounter(() -> server.counters().oversizeCloses(), 1);

            a.sendPacket(b.key(), bytes("after"));
            assertThat(b.expect(FrameType.RECV_PACKET, WAIT).dataText()).isEqualTo("after");
        }
    }

    @Test
    void shouldCloseOnMeshFramesAndMalformedSmallFrames() throws Exception {
        try (DerpServer server = TestRelays.startPlain();
             RawDerpTestClient watch = RawDerpTestClient.connect(server);
             RawDerpTestClient closePeer = RawDerpTestClient.connect(server);
             RawDerpTestClient shortSend = RawDerpTestClient.connect(server);
             RawDerpTestClient badPreferred = RawDerpTestClient.connect(server)) {
            watch.sendFrame(FrameType.WATCH_CONNS, new byte[0]);
            closePeer.sendFrame(FrameType.CLOSE_PEER, shortSend.key().toBytes());
            shortSend.sendFrame(FrameType.SEND_PACKET, new byte[DerpProtocol.KEY_LENGTH - 1]);
            badPreferred.sendFrame(FrameType.NOTE_PREFERRED, new byte[2]);
            for (final RawDerpTestClient c : List.of(watch, closePeer, shortSend, badPreferred)) {
                assertThat(c.awaitClosed(WAIT)).as(c.toString()).isTrue();
            }
            awaitCounter(() -> server.counters().forbiddenFrameCloses(), 2);
            awaitCounter(() -> server.counters().malformedCloses(), 2);
        }
    }

    @Test
    void shouldSendKeepAlivesAtTheConfiguredInterval() throws Exception {
        try (DerpServer server = TestRelays.startPlain(b -> b.keepAlive(Duration.ofMillis(100), Duration.ofMillis(20)));
             RawDerpTestClient c = RawDerpTestClient.connect(server)) {
            final long startNs = System.nanoTime();
            for (int i = 0; i < 3; i++) {
                assertThat(c.readFrame(WAIT).type()).isEqualTo(FrameType.KEEP_ALIVE);
            }
            assertThat(Duration.ofNanos(System.nanoTime() - startNs)).isBetween(Duration.ofMillis(200), WAIT);
            assertThat(server.counters().keepAlivesSent()).isGreaterThanOrEqualTo(3);
        }
    }

    @Test
    void shouldDropTheOldestPacketsForAReceiverThatDoesNotRead() throws Exception {
        final int depth = 32;
        try (DerpServer server = TestRelays.startPlain(b -> b.queueDepth(depth).writeTimeout(Duration.ofSeconds(60)));
             RawDerpTestClient sender = RawDerpTestClient.connect(server);
             RawDerpTestClient stalled = RawDerpTestClient.connect(server)) {
            final byte[] chunk = new byte[16 << 10];
            final int sent = 4096; // 64 MiB: far more than the socket buffers between server and receiver hold
            for (int i = 0; i < sent; i++) {
                sender.sendPacket(stalled.key(), chunk, 0, chunk.length, i % 8 == 7);
            }
            sender.flush();
            // The sender's reader was never blocked by the stalled receiver: its ping is answered at once.
            assertNextIsPong(sender);
            awaitCounter(() -> server.counters().packetsReceived(), sent);
            final long dropped = server.counters().drops(DropReason.QUEUE_HEAD);
            assertThat(dropped).isPositive();
            final SendQueue queue = server.registry().lookup(stalled.key()).active.queue();
            assertThat(queue.size()).isLessThanOrEqualTo(depth);
            // Everything is accounted for: forwarded into the socket, dropped at the head, still queued, or in the
            // writer's current batch (blocked in a socket write).
            final long inWriter = sent - server.counters().packetsForwarded() - dropped - queue.size();
            assertThat(inWriter).isBetween(0L, (long)depth);
        }
    }

    @Test
    void shouldCloseAReceiverWhoseWritesStallPastTheWriteTimeout() throws Exception {
        try (DerpServer server = TestRelays.startPlain(b -> b.writeTimeout(Duration.ofMillis(300)));
             RawDerpTestClient sender = RawDerpTestClient.connect(server);
             RawDerpTestClient stalled = RawDerpTestClient.connect(server)) {
            final byte[] chunk = new byte[16 << 10];
            final long endNs = System.nanoTime() + WAIT.toNanos();
            while (server.counters().writeTimeouts() == 0 && System.nanoTime() < endNs) {
                for (int i = 0; i < 64; i++) {
                    sender.sendPacket(stalled.key(), chunk, 0, chunk.length, false);
                }
                sender.flush();
            }
            assertThat(server.counters().writeTimeouts()).isEqualTo(1);
            assertThat(sender.expect(FrameType.PEER_GONE, WAIT).key()).isEqualTo(stalled.key());
            awaitCounter(() -> server.counters().currentClients(), 1);
        }
    }

    @Test
    void shouldLetTheObserverSeeAndDropPackets() throws Exception {
        final List<String> seen = new CopyOnWriteArrayList<>();
        final PacketObserver dropOdd = (src, dst, buf, off, len) -> {
            seen.add(src.shortString() + ">" + dst.shortString() + ":" + new String(buf, off, len,
                StandardCharsets.UTF_8));
            return (buf[off + len - 1] - '0') % 2 == 0;
        };
        try (DerpServer server = TestRelays.startPlain(b -> b.packetObserver(dropOdd));
             RawDerpTestClient a = RawDerpTestClient.connect(server);
             RawDerpTestClient b = RawDerpTestClient.connect(server)) {
            // p10 is kept, so when it arrives the observer has seen (and dropped) p9 before it.
            for (int i = 0; i <= 10; i++) {
                a.sendPacket(b.key(), bytes("p" + i));
            }
            for (int i = 0; i <= 10; i += 2) {
                assertThat(b.expect(FrameType.RECV_PACKET, WAIT).dataText()).isEqualTo("p" + i);
            }
            assertThat(seen).hasSize(11).first().isEqualTo(a.key().shortString() + ">" + b.key().shortString() + ":p0");
            assertThat(server.counters().drops(DropReason.OBSERVER)).isEqualTo(5);
            assertNothingArrives(b);
        }
    }

    @Test
    void shouldDropPacketsForUnknownKeysAndAnswerDiscoWithRateLimitedPeerGone() throws Exception {
        try (DerpServer server = TestRelays.startPlain();
             RawDerpTestClient c = RawDerpTestClient.connect(server)) {
            final NodeKey nobody = NodeKey.of(Curve25519KeyPair.generate().publicKey());
            c.sendPacket(nobody, bytes("plain"));
            final byte[] disco = new byte[ClientConnection.DISCO_HEADER_LENGTH + 10];
            System.arraycopy(ClientConnection.DISCO_MAGIC, 0, disco, 0, ClientConnection.DISCO_MAGIC.length);
            for (int i = 0; i < 10; i++) {
                c.sendPacket(nobody, disco);
            }
            c.ping(new byte[8]);
            int notHere = 0;
            while (true) {
                final RawDerpTestClient.Frame f = c.expect(FrameType.PEER_GONE, WAIT, FrameType.PONG);
                if (f.type() == FrameType.PONG) {
                    break;
                }
                assertThat(f.key()).isEqualTo(nobody);
                assertThat(f.payload()[DerpProtocol.KEY_LENGTH]).isEqualTo((byte)DerpProtocol.PEER_GONE_NOT_HERE);
                notHere++;
            }
            // Burst of 3, then one per second: a slow machine may earn one more.
            assertThat(notHere).isBetween(3, 4);
            assertThat(server.counters().drops(DropReason.UNKNOWN_DEST)).isEqualTo(11);
        }
    }

    @Test
    void shouldKeepOtherClientsResponsiveWhileOneFloods() throws Exception {
        try (DerpServer server = TestRelays.startPlain();
             RawDerpTestClient flooder = RawDerpTestClient.connect(server);
             RawDerpTestClient sink = RawDerpTestClient.connect(server);
             RawDerpTestClient a = RawDerpTestClient.connect(server);
             RawDerpTestClient b = RawDerpTestClient.connect(server);
             ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            final byte[] chunk = new byte[16 << 10];
            final long floodEndNs = System.nanoTime() + Duration.ofSeconds(2).toNanos();
            final Future<?> flood = pool.submit(() -> {
                while (System.nanoTime() < floodEndNs) {
                    for (int i = 0; i < 64; i++) {
                        flooder.sendPacket(sink.key(), chunk, 0, chunk.length, false);
                    }
                    flooder.flush();
                }
                return null;
            });
            final Future<?> drain = pool.submit(() -> {
                while (!flood.isDone()) {
                    try {
                        sink.readFrame(QUIET);
                    } catch (final SocketTimeoutException e) {
                        // keep draining until the flood ends
                    }
                }
                return null;
            });
            long worstNs = 0;
            for (int i = 0; i < 50 && System.nanoTime() < floodEndNs; i++) {
                final long startNs = System.nanoTime();
                a.sendPacket(b.key(), bytes("rt" + i));
                assertThat(b.expect(FrameType.RECV_PACKET, WAIT).dataText()).isEqualTo("rt" + i);
                b.sendPacket(a.key(), bytes("back" + i));
                assertThat(a.expect(FrameType.RECV_PACKET, WAIT).dataText()).isEqualTo("back" + i);
                worstNs = Math.max(worstNs, System.nanoTime() - startNs);
            }
            flood.get();
            drain.get();
            // A relay that let the flood monopolise its threads would stall these round trips for the whole flood.
            assertThat(Duration.ofNanos(worstNs)).isLessThan(Duration.ofSeconds(1));
            assertThat(server.counters().packetsReceived()).isGreaterThan(100);
        }
    }

    @Test
    void shouldServeFiveHundredConcurrentClients() throws Exception {
        final int clients = 500;
        final int perClient = 20;
        try (DerpServer server = TestRelays.startPlain();
             ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            final List<Future<RawDerpTestClient>> connecting = new ArrayList<>();
            for (int i = 0; i < clients; i++) {
                connecting.add(pool.submit(() -> RawDerpTestClient.connect(server)));
            }
            final List<RawDerpTestClient> all = new ArrayList<>();
            try {
                for (final Future<RawDerpTestClient> f : connecting) {
                    all.add(f.get());
                }
                awaitCounter(() -> server.counters().currentClients(), clients);
                final AtomicInteger delivered = new AtomicInteger();
                final List<Future<?>> work = new ArrayList<>();
                for (int i = 0; i < clients; i++) {
                    final RawDerpTestClient me = all.get(i);
                    final RawDerpTestClient next = all.get((i + 1) % clients);
                    final RawDerpTestClient prev = all.get((i + clients - 1) % clients);
                    work.add(pool.submit(() -> {
                        for (int k = 0; k < perClient; k++) {
                            me.sendPacket(next.key(), bytes(me.key().shortString() + k));
                        }
                        for (int k = 0; k < perClient; k++) {
                            final RawDerpTestClient.Frame f = me.expect(FrameType.RECV_PACKET, WAIT);
                            assertThat(f.key()).isEqualTo(prev.key());
                            assertThat(f.dataText()).isEqualTo(prev.key().shortString() + k);
                            delivered.incrementAndGet();
                        }
                        return null;
                    }));
                }
                for (final Future<?> f : work) {
                    f.get();
                }
                assertThat(delivered.get()).isEqualTo(clients * perClient);
                assertThat(server.counters().drops()).isZero();
            } finally {
                all.forEach(RawDerpTestClient::close);
            }
            awaitCounter(() -> server.counters().currentClients(), 0);
        }
    }

    private static NodeKey shared(final Curve25519KeyPair keys) {
        return NodeKey.of(keys.publicKey());
    }

    private static byte[] bytes(final String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** Pings and asserts that the very next frame (keepalives aside) is the Pong: nothing else was queued. */
    private static void assertNextIsPong(final RawDerpTestClient c) throws IOException {
        final byte[] ping = {'b', 'a', 'r', 'r', 'i', 'e', 'r', '!'};
        c.ping(ping);
        assertThat(c.expect(FrameType.PONG, WAIT).payload()).containsExactly(ping);
    }

    private static void assertNothingArrives(final RawDerpTestClient c) throws IOException {
        try {
            final RawDerpTestClient.Frame f = c.readFrame(QUIET);
            assertThat(f.type()).as("unexpected " + f).isEqualTo(FrameType.KEEP_ALIVE);
        } catch (final SocketTimeoutException expected) {
            // Nothing arrived.
        }
    }
}
