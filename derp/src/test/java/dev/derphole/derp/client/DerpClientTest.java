package dev.derphole.derp.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.UnaryOperator;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.derphole.crypto.nacl.Curve25519KeyPair;
import dev.derphole.derp.proto.DerpProtocol;
import dev.derphole.derp.proto.DerpProtocolException;
import dev.derphole.derp.proto.FrameType;
import dev.derphole.derp.proto.Handshake;
import dev.derphole.derp.proto.NodeKey;

@Timeout(60)
class DerpClientTest {
    private static final Duration WAIT = Duration.ofSeconds(5);
    private static final NodeKey PEER = NodeKey.of(Curve25519KeyPair.generate().publicKey());

    private final List<AutoCloseable> toClose = new ArrayList<>();
    private final List<ScriptedDerpServer> servers = new ArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) {
            toClose.get(i).close();
        }
        for (final ScriptedDerpServer s : servers) {
            assertThat(s.errors()).as("relay script errors").isEmpty();
        }
    }

    private ScriptedDerpServer server(final ScriptedDerpServer.Script script) throws IOException {
        final ScriptedDerpServer s = new ScriptedDerpServer(script);
        toClose.add(s);
        servers.add(s);
        return s;
    }

    private DerpClient client(final ScriptedDerpServer server, final UnaryOperator<DerpClientConfig.Builder> tune) {
        final DerpClientConfig.Builder b = DerpClientConfig.builder(server.target())
            .connectTimeout(Duration.ofSeconds(2))
            .handshakeTimeout(Duration.ofSeconds(3))
            .reconnect(new ReconnectPolicy(true, Duration.ofMillis(20), Duration.ofMillis(200)));
        final DerpClient c = new DerpClient(tune.apply(b).build());
        toClose.add(c);
        return c;
    }

    private static DerpEvent next(final DerpClient c) throws InterruptedException {
        final DerpEvent e = c.receive(WAIT);
        assertThat(e).as("event within %s", WAIT).isNotNull();
        return e;
    }

    /** The next event that is not a packet. */
    private static DerpEvent nextControl(final DerpClient c) throws InterruptedException {
        DerpEvent e;
        do {
            e = next(c);
        } while (e instanceof DerpEvent.Packet);
        return e;
    }

    @Test
    void shouldHandshakeAndExchangePacketsBothWays() throws Exception {
        final BlockingQueue<ScriptedDerpServer.Frame> frames = new LinkedBlockingQueue<>();
        final ScriptedDerpServer server = server(conn -> {
            conn.accept();
            conn.sendPacket(PEER, "hello client".getBytes(StandardCharsets.UTF_8));
            conn.serve(frames);
        });
        final DerpClient client = client(server, b -> b);
        client.connect();

        assertThat(client.isConnected()).isTrue();
        assertThat(client.serverKey()).isEqualTo(server.serverKey());
        final ScriptedDerpServer.Conn conn = server.nextConnection(WAIT);
        assertThat(conn.clientKey).isEqualTo(client.publicKey());
        assertThat(conn.clientInfoJson).isEqualTo("{\"version\":2,\"CanAckPings\":true}");
        assertThat(conn.requestHead)
            .startsWith("GET /derp HTTP/1.1\r\n")
            .contains("Host: 127.0.0.1:" + server.port() + "\r\n", "Connection: Upgrade\r\n", "Upgrade: DERP\r\n")
            .endsWith("\r\n\r\n");

        final DerpEvent.Packet in = (DerpEvent.Packet)next(client);
        assertThat(in.source()).isEqualTo(PEER);
        assertThat(new String(in.data(), StandardCharsets.UTF_8)).isEqualTo("hello client");

        final byte[] payload = "xxhello relayxx".getBytes(StandardCharsets.UTF_8);
        client.send(PEER, payload, 2, payload.length - 4);
        final ScriptedDerpServer.Frame out = frames.poll(5, TimeUnit.SECONDS);
        assertThat(out.type()).isEqualTo(FrameType.SEND_PACKET);
        assertThat(PEER.matches(out.payload(), 0)).isTrue();
        assertThat(new String(out.payload(), 32, out.payload().length - 32, StandardCharsets.UTF_8))
            .isEqualTo("hello relay");
        assertThat(client.counters().packetsIn()).isEqualTo(1);
        assertThat(client.counters().bytesIn()).isEqualTo(12);
        // The writer counts after its flush returns, which can be after the relay has the bytes.
        assertThat(Eventually.value(client.counters()::bytesOut, 11, WAIT)).isEqualTo(11);
        assertThat(client.counters().packetsOut()).isEqualTo(1);
    }

    @Test
    void shouldFailClearlyOnBadMagic() throws Exception {
        final ScriptedDerpServer server = server(conn -> {
            conn.readRequest();
            conn.answer101();
            final byte[] payload = Handshake.serverKeyPayload(conn.serverKey());
            payload[0] = 'X';
            conn.sendFrame(FrameType.SERVER_KEY, payload);
            conn.readFrame();
        });
        final DerpClient client = client(server, b -> b);
        assertThatThrownBy(client::connect)
            .isInstanceOf(DerpProtocolException.class)
            .hasMessage("cannot connect to DERP relay 127.0.0.1:" + server.port()
                + ": bad DERP magic: not a DERP server");
        assertThat(client.isConnected()).isFalse();
    }

    @Test
    void shouldFailClearlyOnNon101Answer() throws Exception {
        final ScriptedDerpServer server = server(conn -> {
            conn.readRequest();
            conn.writeRaw("HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nnot here\n");
        });
        final DerpClient client = client(server, b -> b);
        assertThatThrownBy(client::connect)
            .isInstanceOf(IOException.class)
            .hasMessage("cannot connect to DERP relay 127.0.0.1:" + server.port()
                + ": relay answered 404 Not Found: not a DERP server?");
    }

    @Test
    void shouldFailClearlyWhenServerInfoDoesNotOpen() throws Exception {
        final ScriptedDerpServer server = server(conn -> {
            conn.readRequest();
            conn.answer101();
            conn.sendFrame(FrameType.SERVER_KEY, Handshake.serverKeyPayload(conn.serverKey()));
            conn.readFrame();
            // Sealed with another key: the box must not open.
            conn.sendFrame(FrameType.SERVER_INFO, Handshake.serverInfoPayload(
                Curve25519KeyPair.generate(), PEER, "{\"version\":2}".getBytes(StandardCharsets.UTF_8)));
            conn.readFrame();
        });
        final DerpClient client = client(server, b -> b);
        assertThatThrownBy(client::connect)
            .isInstanceOf(DerpProtocolException.class)
            .hasMessageContaining("ServerInfo box does not open");
    }

    @Test
    void shouldFailClearlyWhenFirstFrameIsNotServerKey() throws Exception {
        final ScriptedDerpServer server = server(conn -> {
            conn.readRequest();
            conn.answer101();
            conn.sendFrame(FrameType.KEEP_ALIVE, new byte[0]);
            conn.readFrame();
        });
        assertThatThrownBy(client(server, b -> b)::connect)
            .isInstanceOf(DerpProtocolException.class)
            .hasMessageEndingWith("expected a ServerKey frame, relay sent KeepAlive");
    }

    @Test
    void shouldTimeOutASilentRelay() throws Exception {
        final CountDownLatch release = new CountDownLatch(1);
        final ScriptedDerpServer server = server(conn -> {
            conn.readRequest();
            release.await(10, TimeUnit.SECONDS);
        });
        final DerpClient client = client(server, b -> b.handshakeTimeout(Duration.ofMillis(300)));
        final long startNs = System.nanoTime();
        assertThatThrownBy(client::connect)
            .isInstanceOf(SocketTimeoutException.class)
            .hasMessageContaining("timed out after 300 ms");
        assertThat(Duration.ofNanos(System.nanoTime() - startNs)).isLessThan(Duration.ofSeconds(3));
        release.countDown();
    }

    @Test
    void shouldFailClearlyWhenNothingListens() throws Exception {
        final ScriptedDerpServer server = server(conn -> conn.close());
        final int port = server.port();
        server.close();
        final DerpClient client = new DerpClient(DerpClientConfig.builder(
            DerpTarget.parse("http://127.0.0.1:" + port)).connectTimeout(Duration.ofSeconds(2)).build());
        toClose.add(client);
        assertThatThrownBy(client::connect)
            .isInstanceOf(IOException.class)
            .hasMessageStartingWith("cannot connect to DERP relay 127.0.0.1:" + port + ": ")
            .hasMessageNotContaining("\n");
    }

    @Test
    void shouldTryTheDialAddressesInOrder() throws Exception {
        final ScriptedDerpServer server = server(conn -> {
            conn.accept();
            conn.readFrame();
        });
        // Nothing listens on 127.0.0.2 (the relay binds 127.0.0.1 only): refused, then the next address works.
        final DerpTarget target = new DerpTarget(false, "relay.invalid", server.port(), null,
            List.of(InetAddress.ofLiteral("127.0.0.2"), InetAddress.ofLiteral("127.0.0.1")));
        final DerpClient client = new DerpClient(DerpClientConfig.builder(target).build());
        toClose.add(client);
        client.connect();
        assertThat(client.isConnected()).isTrue();
        assertThat(server.nextConnection(WAIT).requestHead).contains("Host: relay.invalid:" + server.port() + "\r\n");
    }

    @Test
    void shouldPaceSendsToTheAdvertisedTokenBucket() throws Exception {
        final long rate = 200_000;
        final int packets = 100;
        final int size = 4000;
        final AtomicLong lastNs = new AtomicLong();
        final CountDownLatch done = new CountDownLatch(1);
        final ScriptedDerpServer server = server(conn -> {
            conn.readRequest();
            conn.answer101();
            conn.handshake("{\"version\":2,\"TokenBucketBytesPerSecond\":" + rate + ",\"TokenBucketBytesBurst\":1000}");
            for (int i = 0; i < packets; i++) {
                conn.readFrame(FrameType.SEND_PACKET);
            }
            lastNs.set(System.nanoTime());
            done.countDown();
            conn.readFrame();
        });
        final DerpClient client = client(server, b -> b.sendQueueCapacity(packets));
        client.connect();
        assertThat(client.advertisedBytesPerSecond()).isEqualTo(rate);
        final long startNs = System.nanoTime();
        final byte[] data = new byte[size];
        for (int i = 0; i < packets; i++) {
            client.send(PEER, data, 0, size);
        }
        assertThat(done.await(20, TimeUnit.SECONDS)).isTrue();
        final double seconds = (lastNs.get() - startNs) / 1e9;
        // Burst is raised to one max frame (65,573 bytes); the rest must trickle at the rate.
        final double frameBytes = 5 + 32 + size;
        final double expected = (packets * frameBytes - SendPacer.MIN_BURST_BYTES) / rate;
        // (The client aims 1/16 below the advertised rate: within the tolerance below.)
        assertThat(seconds).isBetween(expected * 0.85, expected * 3 + 1);
        assertThat(client.counters().pacedWaits()).isPositive();
    }

    @Test
    void shouldAnswerPingWithPongOfTheSameBytes() throws Exception {
        final BlockingQueue<byte[]> pongs = new LinkedBlockingQueue<>();
        final ScriptedDerpServer server = server(conn -> {
            conn.accept();
            conn.sendFrame(FrameType.PING, new byte[] {1, 2, 3, 4, 5, 6, 7, 8});
            pongs.add(conn.readFrame(FrameType.PONG).payload());
            // Pings longer than 8 bytes are answered with their first 8 (servers tolerate up to 1000).
            final byte[] longPing = new byte[20];
            longPing[0] = 9;
            conn.sendFrame(FrameType.PING, longPing);
            pongs.add(conn.readFrame(FrameType.PONG).payload());
            // A burst of pings: only the latest pending one must be answered last (older ones may be coalesced).
            for (int i = 10; i < 60; i++) {
                conn.sendFrame(FrameType.PING, new byte[] {(byte)i, 0, 0, 0, 0, 0, 0, 0});
            }
            byte[] last;
            int answered = 0;
            do {
                last = conn.readFrame(FrameType.PONG).payload();
                answered++;
            } while (last[0] != 59);
            pongs.add(new byte[] {(byte)answered});
            conn.readFrame();
        });
        client(server, b -> b).connect();
        assertThat(pongs.poll(5, TimeUnit.SECONDS)).containsExactly(1, 2, 3, 4, 5, 6, 7, 8);
        final byte[] second = pongs.poll(5, TimeUnit.SECONDS);
        assertThat(second).hasSize(8);
        assertThat(second[0]).isEqualTo((byte)9);
        assertThat(pongs.poll(5, TimeUnit.SECONDS)[0]).isBetween((byte)1, (byte)50);
    }

    @Test
    void shouldCompletePingWhenThePongArrivesAndTimeOutOtherwise() throws Exception {
        final AtomicReference<byte[]> seen = new AtomicReference<>();
        final CountDownLatch answerNext = new CountDownLatch(1);
        final ScriptedDerpServer server = server(conn -> {
            conn.accept();
            final ScriptedDerpServer.Frame ping = conn.readFrame();
            seen.set(ping.payload());
            conn.sendFrame(FrameType.PONG, new byte[8]);
            conn.sendFrame(FrameType.PONG, ping.payload());
            conn.readFrame();
            answerNext.countDown();
            conn.readFrame();
        });
        final DerpClient client = client(server, b -> b);
        client.connect();
        final Duration rtt = client.ping(WAIT);
        assertThat(seen.get()).hasSize(8);
        assertThat(rtt).isPositive().isLessThan(WAIT);
        assertThatThrownBy(() -> client.ping(Duration.ofMillis(200)))
            .isInstanceOf(SocketTimeoutException.class)
            .hasMessageContaining("no pong within 200 ms");
    }

    @Test
    void shouldDeliverPeerGonePeerPresentHealthAndSkipOddFrames() throws Exception {
        final NodeKey other = NodeKey.of(Curve25519KeyPair.generate().publicKey());
        final ScriptedDerpServer server = server(conn -> {
            conn.accept();
            final byte[] gone = new byte[33];
            PEER.write(gone, 0);
            gone[32] = DerpProtocol.PEER_GONE_NOT_HERE;
            conn.sendFrame(FrameType.PEER_GONE, gone);
            conn.sendFrame(FrameType.PEER_GONE, other.toBytes());
            conn.sendFrame(FrameType.PEER_PRESENT, other.toBytes());
            conn.sendFrame(0x7f, new byte[100]);
            conn.sendFrame(FrameType.SERVER_INFO, new byte[50]);
            conn.sendFrame(FrameType.RECV_PACKET, new byte[10]);
            conn.sendFrame(FrameType.KEEP_ALIVE, new byte[0]);
            conn.sendFrame(FrameType.HEALTH, "duplicate key".getBytes(StandardCharsets.UTF_8));
            conn.sendPacket(PEER, new byte[] {42});
            conn.sendFrame(FrameType.HEALTH, new byte[0]);
            conn.readFrame();
        });
        final DerpClient client = client(server, b -> b);
        client.connect();
        assertThat(next(client)).isEqualTo(new DerpEvent.PeerGone(PEER, DerpProtocol.PEER_GONE_NOT_HERE));
        assertThat(next(client)).isEqualTo(new DerpEvent.PeerGone(other, DerpProtocol.PEER_GONE_DISCONNECTED));
        assertThat(next(client)).isEqualTo(new DerpEvent.PeerPresent(other));
        assertThat(next(client)).isEqualTo(new DerpEvent.Health("duplicate key"));
        final DerpEvent.Packet p = (DerpEvent.Packet)next(client);
        assertThat(p.data()).containsExactly(42);
        assertThat(next(client)).isEqualTo(new DerpEvent.Health(""));
        assertThat(client.health()).isEmpty();
        assertThat(client.counters().unknownFrames()).isEqualTo(1);
        assertThat(client.counters().drops(DropReason.MALFORMED_FRAME)).isEqualTo(1);
        assertThat(client.isConnected()).isTrue();
    }

    @Test
    void shouldReconnectAfterTheRestartingDelayEvenWithReconnectDisabled() throws Exception {
        final AtomicLong restartSentNs = new AtomicLong();
        final AtomicLong secondAcceptNs = new AtomicLong();
        final BlockingQueue<ScriptedDerpServer.Frame> frames = new LinkedBlockingQueue<>();
        final ScriptedDerpServer server = server(conn -> {
            if (conn.index == 0) {
                conn.accept();
                restartSentNs.set(System.nanoTime());
                conn.sendFrame(FrameType.RESTARTING, new byte[] {0, 0, 1, 44, 0, 0, 7, (byte)208});
                conn.readFrame();
                return;
            }
            secondAcceptNs.compareAndSet(0, System.nanoTime());
            conn.accept();
            conn.serve(frames);
        });
        final DerpClient client = client(server, b -> b.reconnect(ReconnectPolicy.DISABLED));
        client.connect();
        assertThat(next(client)).isEqualTo(new DerpEvent.Restarting(Duration.ofMillis(300), Duration.ofMillis(2000)));
        final DerpEvent gone = next(client);
        assertThat(gone).isInstanceOf(DerpEvent.Disconnected.class);
        assertThat(((DerpEvent.Disconnected)gone).cause()).contains("restarting");
        assertThat(next(client)).isEqualTo(new DerpEvent.Reconnected());
        assertThat(Duration.ofNanos(secondAcceptNs.get() - restartSentNs.get())).isGreaterThanOrEqualTo(
            Duration.ofMillis(280));
        client.send(PEER, new byte[] {7}, 0, 1);
        assertThat(frames.poll(5, TimeUnit.SECONDS).type()).isEqualTo(FrameType.SEND_PACKET);
        assertThat(client.counters().reconnects()).isEqualTo(1);
    }

    @Test
    void shouldReconnectWithBackoffAfterTheRelayDropsAndKeepQueuedPackets() throws Exception {
        final BlockingQueue<ScriptedDerpServer.Frame> frames = new LinkedBlockingQueue<>();
        final CountDownLatch dropNow = new CountDownLatch(1);
        final ScriptedDerpServer server = server(conn -> {
            switch (conn.index) {
                case 0 -> {
                    conn.accept();
                    dropNow.await(10, TimeUnit.SECONDS);
                    conn.close();
                }
                case 1, 2 -> {
                    conn.readRequest();
                    conn.writeRaw("HTTP/1.1 503 Service Unavailable\r\n\r\n");
                }
                default -> {
                    conn.accept();
                    conn.serve(frames);
                }
            }
        });
        final DerpClient client = client(server, b -> b
            .reconnect(new ReconnectPolicy(true, Duration.ofMillis(100), Duration.ofSeconds(1))));
        client.connect();
        final long dropNs = System.nanoTime();
        dropNow.countDown();
        final DerpEvent gone = next(client);
        assertThat(gone).isInstanceOf(DerpEvent.Disconnected.class);
        assertThat(((DerpEvent.Disconnected)gone).cause()).isEqualTo("relay closed the connection");
        // Queued while disconnected: must go out on the new connection.
        client.send(PEER, new byte[] {1}, 0, 1);
        client.send(PEER, new byte[] {2}, 0, 1);
        assertThat(next(client)).isEqualTo(new DerpEvent.Reconnected());
        // Two failed dials wait at least half of 100 ms and half of 200 ms.
        assertThat(Duration.ofNanos(System.nanoTime() - dropNs)).isGreaterThanOrEqualTo(Duration.ofMillis(150));
        assertThat(client.counters().failedDials()).isEqualTo(2);
        assertThat(client.counters().reconnects()).isEqualTo(1);
        assertThat(client.isConnected()).isTrue();
        client.send(PEER, new byte[] {3}, 0, 1);
        for (int expected = 1; expected <= 3; expected++) {
            final ScriptedDerpServer.Frame f = frames.poll(5, TimeUnit.SECONDS);
            assertThat(f.type()).isEqualTo(FrameType.SEND_PACKET);
            assertThat(f.payload()[32]).isEqualTo((byte)expected);
        }
    }

    @Test
    void shouldCloseTheConnectionOnAnOversizeRecvPacket() throws Exception {
        final ScriptedDerpServer server = server(conn -> {
            conn.accept();
            conn.sendFrame(FrameType.RECV_PACKET, new byte[32 + DerpProtocol.MAX_PACKET_SIZE + 1]);
            conn.readFrame();
        });
        final DerpClient client = client(server, b -> b.reconnect(ReconnectPolicy.DISABLED));
        client.connect();
        final DerpEvent gone = next(client);
        assertThat(gone).isInstanceOf(DerpEvent.Disconnected.class);
        assertThat(((DerpEvent.Disconnected)gone).cause()).contains("RecvPacket frame of 65569 bytes exceeds");
        assertThat(client.counters().drops(DropReason.OVERSIZE_FRAME)).isEqualTo(1);
        assertThat(client.isConnected()).isFalse();
        assertThat(client.receive(Duration.ofSeconds(2))).as("no more events after giving up").isNull();
        assertThatThrownBy(() -> client.send(PEER, new byte[1], 0, 1))
            .isInstanceOf(IOException.class)
            .hasMessageContaining("connection lost: RecvPacket frame");
    }

    @Test
    void shouldCloseTheConnectionOnAFrameOverOneMebibyte() throws Exception {
        final ScriptedDerpServer server = server(conn -> {
            conn.accept();
            // Header only: the client must give up before reading the payload.
            conn.writeRaw("\u007f\u0000\u0010\u0000\u0001");
            conn.readFrame();
        });
        final DerpClient client = client(server, b -> b.reconnect(ReconnectPolicy.DISABLED));
        client.connect();
        final DerpEvent gone = next(client);
        assertThat(((DerpEvent.Disconnected)gone).cause()).contains("exceeds limit of 1048576");
        assertThat(client.counters().drops(DropReason.OVERSIZE_FRAME)).isEqualTo(1);
    }

    @Test
    void shouldStopReadingWhileTheReceiveQueueIsFullAndResumeWhenDrained() throws Exception {
        final int capacity = 8;
        final int packets = 1600;
        final int size = DerpProtocol.MAX_PACKET_SIZE;
        final AtomicLong written = new AtomicLong();
        final CountDownLatch allWritten = new CountDownLatch(1);
        final ScriptedDerpServer server = server(conn -> {
            conn.accept();
            final byte[] data = new byte[size];
            for (int i = 0; i < packets; i++) {
                data[0] = (byte)i;
                data[1] = (byte)(i >> 8);
                conn.sendPacket(PEER, data);
                written.incrementAndGet();
            }
            allWritten.countDown();
            conn.readFrame();
        });
        final DerpClient client = client(server, b -> b.receiveQueueCapacity(capacity));
        client.connect();

        // 100 MiB cannot fit in loopback socket buffers: the relay's writes must stall while nobody receives.
        long before;
        long after = written.get();
        final long limitNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        do {
            before = after;
            Thread.sleep(300);
            after = written.get();
        } while (after != before && System.nanoTime() < limitNs);
        assertThat(after).as("relay writes stalled").isEqualTo(before).isLessThan(packets);
        assertThat(allWritten.getCount()).isEqualTo(1);
        // Bounded memory: the queue plus the one packet the blocked reader holds.
        assertThat(client.counters().packetsIn()).isLessThanOrEqualTo(capacity + 1);

        for (int i = 0; i < packets; i++) {
            final DerpEvent.Packet p = (DerpEvent.Packet)next(client);
            assertThat((p.data()[0] & 0xff) | (p.data()[1] & 0xff) << 8).isEqualTo(i & 0xffff);
            assertThat(p.data()).hasSize(size);
        }
        assertThat(allWritten.await(5, TimeUnit.SECONDS)).isTrue();
        assertThat(client.counters().packetsIn()).isEqualTo(packets);
        assertThat(client.isConnected()).isTrue();
    }

    @Test
    void shouldWakeABlockedReceiveAndABlockedSendOnClose() throws Exception {
        final ScriptedDerpServer server = server(conn -> {
            conn.accept();
            // Never read again: the client's writes fill the socket buffers, then its send queue.
            Thread.sleep(30_000);
        });
        final DerpClient client = client(server, b -> b.sendQueueCapacity(2));
        client.connect();

        final AtomicReference<Object> receiveResult = new AtomicReference<>("pending");
        final Thread receiver = Thread.ofVirtual().start(() -> {
            try {
                receiveResult.set(client.receive(Duration.ofSeconds(30)));
            } catch (final InterruptedException e) {
                receiveResult.set(e);
            }
        });
        final AtomicReference<Throwable> sendResult = new AtomicReference<>();
        final AtomicLong sent = new AtomicLong();
        final Thread sender = Thread.ofVirtual().start(() -> {
            final byte[] data = new byte[DerpProtocol.MAX_PACKET_SIZE];
            try {
                for (int i = 0; i < 100_000; i++) {
                    client.send(PEER, data, 0, data.length);
                    sent.incrementAndGet();
                }
            } catch (final Throwable t) {
                sendResult.set(t);
            }
        });
        // Wait until the sender is stuck (no progress for a while).
        long before;
        long after = sent.get();
        final long limitNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        do {
            before = after;
            Thread.sleep(300);
            after = sent.get();
        } while (after != before && System.nanoTime() < limitNs);
        assertThat(sender.isAlive()).isTrue();
        assertThat(receiver.isAlive()).isTrue();

        final long closeStartNs = System.nanoTime();
        client.close();
        client.close();
        assertThat(Duration.ofNanos(System.nanoTime() - closeStartNs)).isLessThan(Duration.ofSeconds(3));
        sender.join(Duration.ofSeconds(2));
        receiver.join(Duration.ofSeconds(2));
        assertThat(sender.isAlive()).isFalse();
        assertThat(receiver.isAlive()).isFalse();
        assertThat(sendResult.get()).isInstanceOf(IOException.class).hasMessage("DERP client closed");
        assertThat(receiveResult.get()).isNull();
        assertThat(client.isConnected()).isFalse();
        assertThat(client.isClosed()).isTrue();
    }

    @Test
    void shouldFailSendsAfterTheSendTimeoutWhileReconnecting() throws Exception {
        final CountDownLatch dropNow = new CountDownLatch(1);
        final ScriptedDerpServer server = server(conn -> {
            if (conn.index == 0) {
                conn.accept();
                dropNow.await(10, TimeUnit.SECONDS);
                conn.close();
                return;
            }
            conn.readRequest();
            conn.writeRaw("HTTP/1.1 503 Service Unavailable\r\n\r\n");
        });
        final DerpClient client = client(server, b -> b.sendQueueCapacity(3).sendTimeout(Duration.ofMillis(300)));
        client.connect();
        dropNow.countDown();
        assertThat(nextControl(client)).isInstanceOf(DerpEvent.Disconnected.class);
        for (int i = 0; i < 3; i++) {
            client.send(PEER, new byte[] {1}, 0, 1);
        }
        assertThat(client.trySend(PEER, new byte[] {1}, 0, 1, Duration.ofMillis(50))).isFalse();
        final long startNs = System.nanoTime();
        assertThatThrownBy(() -> client.send(PEER, new byte[] {1}, 0, 1))
            .isInstanceOf(IOException.class)
            .hasMessage("DERP relay 127.0.0.1:" + server.port()
                + ": send queue full while reconnecting for 300 ms");
        assertThat(Duration.ofNanos(System.nanoTime() - startNs)).isGreaterThanOrEqualTo(Duration.ofMillis(250));
    }

    @Test
    void shouldSendNotePreferredAndRepeatItAfterReconnect() throws Exception {
        final BlockingQueue<ScriptedDerpServer.Frame> frames = new LinkedBlockingQueue<>();
        final ScriptedDerpServer server = server(conn -> {
            conn.accept();
            final ScriptedDerpServer.Frame f = conn.readFrame(FrameType.NOTE_PREFERRED);
            frames.add(f);
            if (conn.index == 0) {
                conn.close();
                return;
            }
            conn.readFrame();
        });
        final DerpClient client = client(server, b -> b);
        client.connect();
        client.notePreferred(true);
        assertThat(frames.poll(5, TimeUnit.SECONDS).payload()).containsExactly(1);
        assertThat(frames.poll(5, TimeUnit.SECONDS).payload()).containsExactly(1);
    }

    @Test
    void shouldRejectOversizeSendsAndBadArguments() throws Exception {
        final ScriptedDerpServer server = server(conn -> {
            conn.accept();
            conn.readFrame();
        });
        final DerpClient client = client(server, b -> b);
        assertThatThrownBy(() -> client.send(PEER, new byte[1], 0, 1)).isInstanceOf(IllegalStateException.class);
        client.connect();
        assertThatThrownBy(() -> client.send(PEER, new byte[70_000], 0, 70_000))
            .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> client.send(PEER, new byte[10], 5, 6)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(client::connect).isInstanceOf(IllegalStateException.class);
    }
}
