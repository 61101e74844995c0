package dev.derphole.session.path;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.derphole.derp.proto.NodeKey;

/**
 * Two endpoints on loopback find each other, promote, fall back when one goes silent, and recover (onto another of
 * the peer's addresses when the lost one stays dead).
 */
@Timeout(30)
class PathProberTest {
    private static final SplittableRandom RANDOM = new SplittableRandom(0x9B0BE2L);

    private static byte[] bytes(final int n) {
        final byte[] b = new byte[n];
        RANDOM.nextBytes(b);
        return b;
    }

    /** A session's probe keys and both sides' DERP keys. */
    private record Peers(byte[] key, byte[] session, NodeKey a, NodeKey b) {
        static Peers random() {
            return new Peers(bytes(32), bytes(16), NodeKey.of(bytes(32)), NodeKey.of(bytes(32)));
        }

        ProbeCodec codecA() {
            return new ProbeCodec(key, session, a, b);
        }

        ProbeCodec codecB() {
            return new ProbeCodec(key, session, b, a);
        }
    }

    /** Records the prober's calls. */
    private static final class Recorder implements PathProber.Listener {
        final CompletableFuture<DirectPath> direct = new CompletableFuture<>();
        final CompletableFuture<Long> fallback = new CompletableFuture<>();
        /** What the path said its round trip was when it was handed over. */
        final CompletableFuture<Long> rttHint = new CompletableFuture<>();
        final CompletableFuture<DirectPath> heard = new CompletableFuture<>();

        @Override
        public void onPeerHeard(final DirectPath path) {
            if (!heard.complete(path)) {
                throw new AssertionError("onPeerHeard more than once");
            }
        }

        @Override
        public void onDirect(final DirectPath path) {
            rttHint.complete(path.rttHintNanos());
            direct.complete(path);
        }

        @Override
        public void onFallback() {
            fallback.complete(System.nanoTime());
        }
    }

    private static InetSocketAddress loopback(final UdpEndpoint endpoint) {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), endpoint.port());
    }

    @Test
    void shouldPromoteBothSidesAndFallBackWhenThePeerGoesSilent() throws Exception {
        final Peers peers = Peers.random();
        final UdpEndpoint eb = UdpEndpoint.open();
        try (UdpEndpoint ea = UdpEndpoint.open()) {
            final Recorder ra = new Recorder();
            final Recorder rb = new Recorder();
            // a also lists an address nobody answers on (closed port on loopback): it must not matter.
            final InetSocketAddress dead = new InetSocketAddress(InetAddress.getLoopbackAddress(), 9);
            try (PathProber pa = new PathProber(ea, peers.codecA(), List.of(dead, loopback(eb)),
                ra).start()) {
                final PathProber pb = new PathProber(eb, peers.codecB(), List.of(loopback(ea)),
                    rb).start();
                assertThat(ra.direct.get(5, TimeUnit.SECONDS).remote()).isEqualTo(loopback(eb));
                assertThat(rb.direct.get(5, TimeUnit.SECONDS).remote()).isEqualTo(loopback(ea));
                // The validating probe's round trip comes with the path (a sender starts its timers from it).
                assertThat(ra.rttHint.get()).isBetween(1L, TimeUnit.SECONDS.toNanos(5));
                // Healthy heartbeats keep it up.
                Thread.sleep(PathProber.DEAD_AFTER_MS + 500);
                assertThat(ra.fallback).isNotDone();
                assertThat(pa.invalidProbes()).isZero();
                // b goes silent: a falls back after the dead time (not before it; the upper bound leaves room for
                // a loaded CI machine).
                final long silentNs = System.nanoTime();
                pb.close();
                eb.close();
                final long fellNs = ra.fallback.get(10, TimeUnit.SECONDS);
                assertThat(TimeUnit.NANOSECONDS.toMillis(fellNs - silentNs))
                    .isBetween(PathProber.DEAD_AFTER_MS - 2 * PathProber.HEARTBEAT_MS, PathProber.DEAD_AFTER_MS
                        + 3_000);
            }
        } finally {
            eb.close();
        }
    }

    @Test
    void shouldPickTheLargestDatagramThePathCarries() throws Exception {
        final Peers peers = Peers.random();
        try (UdpEndpoint ea = UdpEndpoint.open(); UdpEndpoint eb = UdpEndpoint.open()) {
            final Recorder ra = new Recorder();
            final Recorder rb = new Recorder();
            try (PathProber pa = new PathProber(ea, peers.codecA(), List.of(loopback(eb)), ra)
                    .start();
                PathProber pb = new PathProber(eb, peers.codecB(), List.of(loopback(ea)), rb)
                    .start()) {
                final DirectPath path = ra.direct.get(5, TimeUnit.SECONDS);
                rb.direct.get(5, TimeUnit.SECONDS);
                // Promoted at the size every path carries; the measurement follows.
                // Loopback's MTU is 64 KiB: the top of the ladder passes when the engine can set don't-fragment
                // (the FFM engines); the NIO and Netty fallbacks keep the safe size.
                final int expected = ea.probesPathMtu() ? UdpEndpoint.MAX_DATAGRAM_BYTES
                    : UdpEndpoint.DIRECT_DATAGRAM_BYTES;
                final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                while ((pa.datagramBytes() != expected || pb.datagramBytes() != expected)
                    && System.nanoTime() < deadline) {
                    Thread.sleep(10);
                }
                assertThat(path.maxDatagramLength()).isEqualTo(expected);
                assertThat(pa.datagramBytes()).isEqualTo(expected);
                assertThat(pb.datagramBytes()).isEqualTo(expected);
                assertThat(path.maxReceiveLength()).isEqualTo(ea.maxDatagramBytes())
                    .isGreaterThanOrEqualTo(expected);
            }
        }
    }

    @Test
    void shouldStayOnTheRelayWhenOnlyForgedProbesArrive() throws Exception {
        final byte[] session = bytes(16);
        final NodeKey a = NodeKey.of(bytes(32));
        final NodeKey b = NodeKey.of(bytes(32));
        try (UdpEndpoint ea = UdpEndpoint.open(); UdpEndpoint eb = UdpEndpoint.open()) {
            final Recorder ra = new Recorder();
            // b has the wrong key: every probe it sends a is forged as far as a can tell.
            final ProbeCodec forger = new ProbeCodec(bytes(32), session, b, a);
            try (PathProber pa = new PathProber(ea, new ProbeCodec(bytes(32), session, a, b),
                List.of(loopback(eb)), ra).start()) {
                for (int i = 0; i < 20; i++) {
                    eb.sendTo(loopback(ea), forger.probe());
                    Thread.sleep(10);
                }
                final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                while (pa.invalidProbes() < 20 && System.nanoTime() < deadline) {
                    Thread.sleep(10);
                }
                assertThat(pa.invalidProbes()).isEqualTo(20);
                assertThat(pa.validProbes()).isZero();
                assertThat(ra.direct).isNotDone();
            }
        }
    }

    @Test
    void shouldNotPromoteAPathThatWorksOneWayOnly() throws Exception {
        final Peers peers = Peers.random();
        try (UdpEndpoint ea = UdpEndpoint.open(); UdpEndpoint eb = UdpEndpoint.open()) {
            final Recorder ra = new Recorder();
            // b's genuine probes reach a, but nothing on b answers a's probes (its ACKs are "lost").
            final ProbeCodec bSide = peers.codecB();
            try (PathProber pa = new PathProber(ea, peers.codecA(), List.of(loopback(eb)),
                ra).start()) {
                for (int i = 0; i < 20; i++) {
                    eb.sendTo(loopback(ea), bSide.probe());
                    Thread.sleep(20);
                }
                final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                while (pa.validProbes() < 20 && System.nanoTime() < deadline) {
                    Thread.sleep(10);
                }
                assertThat(pa.validProbes()).isEqualTo(20);
                Thread.sleep(3 * PathProber.PROBE_INTERVAL_MS);
                assertThat(ra.direct).isNotDone();
            }
        }
    }

    @Test
    void shouldFindThePathThroughTheAddressThePeersProbesComeFrom() throws Exception {
        final Peers peers = Peers.random();
        try (UdpEndpoint ea = UdpEndpoint.open(); UdpEndpoint eb = UdpEndpoint.open()) {
            final Recorder ra = new Recorder();
            final Recorder rb = new Recorder();
            // a knows no address of b's (b is behind a NAT that picked a new port for a): b's probes teach it.
            try (PathProber pa = new PathProber(ea, peers.codecA(), List.of(), ra).start();
                PathProber pb = new PathProber(eb, peers.codecB(), List.of(loopback(ea)), rb).start()) {
                assertThat(rb.direct.get(5, TimeUnit.SECONDS).remote()).isEqualTo(loopback(ea));
                assertThat(ra.direct.get(5, TimeUnit.SECONDS).remote()).isEqualTo(loopback(eb));
                assertThat(pa.peers()).containsExactly(loopback(eb));
                assertThat(pb.validProbes()).as("a probed b back").isPositive();
            }
        }
    }

    @Test
    void shouldPromoteAsSoonAsTheFirstAnswerArrives() throws Exception {
        final Peers peers = Peers.random();
        try (UdpEndpoint ea = UdpEndpoint.open(); UdpEndpoint eb = UdpEndpoint.open()) {
            final ProbeCodec bSide = peers.codecB();
            eb.probes((source, buffer, offset, length) -> {
                final ProbeCodec.Verified v = bSide.verify(buffer, offset, length);
                if (v != null && v.kind() == ProbeCodec.PROBE) {
                    eb.sendTo(source, bSide.ack(v.sequence(), v.size()));
                }
            });
            // a's next round of probes is a minute away: the answer to its first must promote the path on its own.
            final Recorder ra = new Recorder();
            try (PathProber pa = new PathProber(ea, peers.codecA(), List.of(loopback(eb)), ra, 10_000, 60_000)
                .start()) {
                assertThat(ra.direct.get(5, TimeUnit.SECONDS).remote()).isEqualTo(loopback(eb));
                assertThat(pa.validProbes()).as("b's answers").isPositive();
            }
        }
    }

    @Test
    void shouldProbeThePeerBackAsSoonAsItsProbeArrives() throws Exception {
        final Peers peers = Peers.random();
        try (UdpEndpoint ea = UdpEndpoint.open(); UdpEndpoint eb = UdpEndpoint.open()) {
            final ProbeCodec aSide = peers.codecA();
            final BlockingQueue<Integer> kinds = new LinkedBlockingQueue<>();
            ea.probes((source, buffer, offset, length) -> {
                final ProbeCodec.Verified v = aSide.verify(buffer, offset, length);
                if (v != null && source.equals(loopback(eb))) {
                    kinds.add(v.kind());
                }
            });
            // b knows no address of a's and, on its own, would probe again only a minute from now: the PROBE that
            // reaches a must be the one a's probe triggered (its NAT just opened for us; the next interval is late).
            try (PathProber pb = new PathProber(eb, peers.codecB(), List.of(), new Recorder(), 10_000, 60_000)
                .start()) {
                ea.sendTo(loopback(eb), aSide.probe());
                final Integer first = kinds.poll(5, TimeUnit.SECONDS);
                final Integer second = kinds.poll(5, TimeUnit.SECONDS);
                assertThat(Arrays.asList(first, second)).as("b's answer and b's own probe")
                    .containsExactlyInAnyOrder(ProbeCodec.ACK, ProbeCodec.PROBE);
                assertThat(pb.peers()).containsExactly(loopback(ea));
            }
        }
    }

    @Test
    void shouldOfferThePathThePeersProbesComeFromBeforeItIsValidatedAndPromoteThatSamePath() throws Exception {
        final Peers peers = Peers.random();
        try (UdpEndpoint ea = UdpEndpoint.open(); UdpEndpoint eb = UdpEndpoint.open()) {
            // a probes b but answers b's probes only when told: b hears a long before its own probe is answered
            // (as a receiver whose peer promoted first, because our ACK reached it first).
            final ProbeCodec aSide = peers.codecA();
            final AtomicBoolean aAnswers = new AtomicBoolean();
            ea.probes((source, buffer, offset, length) -> {
                final ProbeCodec.Verified v = aSide.verify(buffer, offset, length);
                if (v != null && v.kind() == ProbeCodec.PROBE && aAnswers.get()) {
                    ea.sendTo(source, aSide.ack(v.sequence(), v.size()));
                }
            });
            final Recorder rb = new Recorder();
            try (PathProber pb = new PathProber(eb, peers.codecB(), List.of(), rb, 10_000, 60_000).start()) {
                ea.sendTo(loopback(eb), aSide.probe());
                ea.sendTo(loopback(eb), aSide.probe());
                final DirectPath early = rb.heard.get(5, TimeUnit.SECONDS);
                assertThat(early.remote()).isEqualTo(loopback(ea));
                Thread.sleep(100);
                assertThat(rb.direct).as("heard is not validated").isNotDone();
                aAnswers.set(true);
                ea.sendTo(loopback(eb), aSide.probe()); // b's triggered probe, now answered
                assertThat(rb.direct.get(5, TimeUnit.SECONDS)).as("the path offered before").isSameAs(early);
                assertThat(pb.validProbes()).isGreaterThanOrEqualTo(3);
            }
        }
    }

    @Test
    void shouldNotOfferAPathWhenOnlyForgedProbesArrive() throws Exception {
        final Peers peers = Peers.random();
        try (UdpEndpoint ea = UdpEndpoint.open(); UdpEndpoint eb = UdpEndpoint.open()) {
            // Another session's key: the probes do not verify, so nothing may be attached for them.
            final ProbeCodec stranger = Peers.random().codecA();
            final Recorder rb = new Recorder();
            try (PathProber pb = new PathProber(eb, peers.codecB(), List.of(), rb, 10_000, 60_000).start()) {
                for (int i = 0; i < 5; i++) {
                    ea.sendTo(loopback(eb), stranger.probe());
                }
                final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                while (pb.invalidProbes() < 5 && System.nanoTime() < deadline) {
                    Thread.sleep(10);
                }
                assertThat(pb.invalidProbes()).isEqualTo(5);
                Thread.sleep(100);
                assertThat(rb.heard).isNotDone();
            }
        }
    }

    @Test
    void shouldProbeAgainWhenACandidateUpdateArrivesAfterThePhaseEnded() throws Exception {
        final Peers peers = Peers.random();
        try (UdpEndpoint ea = UdpEndpoint.open(); UdpEndpoint eb = UdpEndpoint.open();
            UdpEndpoint nobody = UdpEndpoint.open()) {
            // An address that receives (and counts) probes but never answers them.
            final InetSocketAddress silent = loopback(nobody);
            final Recorder ra = new Recorder();
            final Recorder rb = new Recorder();
            try (PathProber pa = new PathProber(ea, peers.codecA(), List.of(silent), ra, 200).start();
                PathProber pb = new PathProber(eb, peers.codecB(), List.of(silent), rb, 200).start()) {
                Thread.sleep(600); // both phases are over: nothing found, both idle
                assertThat(ra.direct).isNotDone();
                assertThat(rb.direct).isNotDone();
                final long knocks = nobody.dropped();
                assertThat(knocks).as("probes sent while probing").isPositive();
                Thread.sleep(300);
                assertThat(nobody.dropped()).as("idle probers send nothing").isEqualTo(knocks);
                // b's address arrives late (call-me-maybe): a probes it, b learns a from the probes, both promote.
                pa.updatePeers(List.of(silent, loopback(eb)));
                assertThat(ra.direct.get(5, TimeUnit.SECONDS).remote()).isEqualTo(loopback(eb));
                assertThat(rb.direct.get(5, TimeUnit.SECONDS).remote()).isEqualTo(loopback(ea));
                assertThat(pb.peers()).as("b learned a from its probes").contains(loopback(ea));
            }
        }
    }

    @Test
    void shouldRecoverOntoAnotherPeerAddressWhenTheValidatedOneIsGoneForGood() throws Exception {
        final Peers peers = Peers.random();
        try (UdpEndpoint ea = UdpEndpoint.open(); UdpEndpoint ex = UdpEndpoint.open();
            UdpEndpoint ey = UdpEndpoint.open()) {
            // The peer answers at x first (an address its NAT made for us) and later only at y (its port mapping):
            // x's NAT entry was deleted, y worked all along but was never needed.
            final ProbeCodec peerSide = peers.codecB();
            final AtomicBoolean xAnswers = new AtomicBoolean(true);
            final AtomicBoolean yAnswers = new AtomicBoolean(false);
            answerProbes(ex, peerSide, xAnswers);
            answerProbes(ey, peerSide, yAnswers);
            final BlockingQueue<Object> events = new LinkedBlockingQueue<>();
            final PathProber.Listener listener = recording(events);
            try (PathProber pa = new PathProber(ea, peers.codecA(), List.of(loopback(ex), loopback(ey)), listener)
                .start()) {
                assertThat(((DirectPath)events.poll(5, TimeUnit.SECONDS)).remote()).isEqualTo(loopback(ex));
                yAnswers.set(true);
                xAnswers.set(false);

                assertThat(events.poll(PathProber.DEAD_AFTER_MS + 3_000, TimeUnit.MILLISECONDS)).isEqualTo("fallback");
                final Object next = events.poll(5, TimeUnit.SECONDS);

                assertThat(next).as("promoted again, at the address that answers").isInstanceOf(DirectPath.class);
                assertThat(((DirectPath)next).remote()).isEqualTo(loopback(ey));
                assertThat(pa.recoveries()).isEqualTo(1);
                // It stays there: y's answers keep the new path alive.
                assertThat(events.poll(PathProber.DEAD_AFTER_MS + 500, TimeUnit.MILLISECONDS)).isNull();
            }
        }
    }

    @Test
    void shouldRecoverOntoTheAddressThatAnswersEvenWhenAnotherAnsweredFirstAndDied() throws Exception {
        final Peers peers = Peers.random();
        try (UdpEndpoint ea = UdpEndpoint.open(); UdpEndpoint ex = UdpEndpoint.open();
            UdpEndpoint ew = UdpEndpoint.open(); UdpEndpoint ey = UdpEndpoint.open()) {
            // x is validated and dies; while a recovers, w (a second address the peer's NAT made for us) answers
            // twice and dies too; y (the peer's own address) answers from then on and must win.
            final ProbeCodec peerSide = peers.codecB();
            final AtomicBoolean xAnswers = new AtomicBoolean(true);
            final AtomicBoolean wAnswers = new AtomicBoolean(false);
            final AtomicBoolean yAnswers = new AtomicBoolean(false);
            answerProbes(ex, peerSide, xAnswers);
            final AtomicInteger wAcks = new AtomicInteger();
            ew.probes((source, buffer, offset, length) -> {
                final ProbeCodec.Verified v = peerSide.verify(buffer, offset, length);
                if (wAnswers.get() && v != null && v.kind() == ProbeCodec.PROBE && wAcks.get() < 2) {
                    ew.sendTo(source, peerSide.ack(v.sequence(), v.size()));
                    if (wAcks.incrementAndGet() == 2) {
                        yAnswers.set(true);
                    }
                }
            });
            answerProbes(ey, peerSide, yAnswers);
            final BlockingQueue<Object> events = new LinkedBlockingQueue<>();
            final PathProber.Listener listener = recording(events);
            try (PathProber pa = new PathProber(ea, peers.codecA(),
                List.of(loopback(ex), loopback(ew), loopback(ey)), listener).start()) {
                assertThat(((DirectPath)events.poll(5, TimeUnit.SECONDS)).remote()).isEqualTo(loopback(ex));
                xAnswers.set(false);
                wAnswers.set(true);

                assertThat(events.poll(PathProber.DEAD_AFTER_MS + 3_000, TimeUnit.MILLISECONDS)).isEqualTo("fallback");
                final Object next = events.poll(10, TimeUnit.SECONDS);

                assertThat(wAcks).as("w answered twice, then died").hasValue(2);
                assertThat(next).as("promoted again, at the address that answers").isInstanceOf(DirectPath.class);
                assertThat(((DirectPath)next).remote()).isEqualTo(loopback(ey));
                assertThat(pa.recoveries()).isEqualTo(1);
            }
        }
    }

    /** A listener that puts each promoted path, and "fallback" for each fallback, into {@code events}. */
    private static PathProber.Listener recording(final BlockingQueue<Object> events) {
        return new PathProber.Listener() {
            @Override
            public void onDirect(final DirectPath path) {
                events.add(path);
            }

            @Override
            public void onPeerHeard(final DirectPath path) {
            }

            @Override
            public void onFallback() {
                events.add("fallback");
            }
        };
    }

    /** {@code endpoint} answers valid PROBEs with ACKs while {@code on} is set. */
    private static void answerProbes(final UdpEndpoint endpoint, final ProbeCodec codec, final AtomicBoolean on) {
        endpoint.probes((source, buffer, offset, length) -> {
            final ProbeCodec.Verified v = codec.verify(buffer, offset, length);
            if (on.get() && v != null && v.kind() == ProbeCodec.PROBE) {
                endpoint.sendTo(source, codec.ack(v.sequence(), v.size()));
            }
        });
    }

    @Test
    void shouldMeasureAgainWhenThePeerAnsweredTheLadderTooLate() throws Exception {
        final Peers peers = Peers.random();
        try (UdpEndpoint ea = UdpEndpoint.open(); UdpEndpoint eb = UdpEndpoint.open()) {
            assertThat(ea.probesPathMtu()).as("an FFM engine (io_uring or mmsg) sets don't-fragment").isTrue();
            final Recorder ra = new Recorder();
            // b is busy (a JVM starting up): for its first 1.5 s it answers only small probes, then all of them.
            final ProbeCodec bSide = peers.codecB();
            final long busyUntil = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(1_500);
            eb.probes((source, buffer, offset, length) -> {
                final ProbeCodec.Verified v = bSide.verify(buffer, offset, length);
                if (v != null && v.kind() == ProbeCodec.PROBE
                    && (v.size() <= UdpEndpoint.MIN_DATAGRAM_BYTES || System.nanoTime() > busyUntil)) {
                    eb.sendTo(source, bSide.ack(v.sequence(), v.size()));
                }
            });
            try (PathProber pa = new PathProber(ea, peers.codecA(), List.of(loopback(eb)), ra).start()) {
                final DirectPath path = ra.direct.get(5, TimeUnit.SECONDS);
                Thread.sleep(PathProber.MTU_WAIT_MAX_MS + 200);
                assertThat(pa.datagramBytes()).as("the first measurement saw only small answers")
                    .isEqualTo(UdpEndpoint.MIN_DATAGRAM_BYTES);
                final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(8);
                while (pa.datagramBytes() != UdpEndpoint.MAX_DATAGRAM_BYTES && System.nanoTime() < deadline) {
                    Thread.sleep(20);
                }
                assertThat(pa.datagramBytes()).isEqualTo(UdpEndpoint.MAX_DATAGRAM_BYTES);
                assertThat(path.maxDatagramLength()).isEqualTo(UdpEndpoint.MAX_DATAGRAM_BYTES);
                assertThat(ra.fallback).isNotDone();
            }
        }
    }
}
