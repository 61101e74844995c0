package dev.derphole.session.transfer;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.derphole.derp.proto.NodeKey;
import dev.derphole.session.path.CandidateUpdateCodec;
import dev.derphole.session.path.DirectPath;
import dev.derphole.session.path.PathProber;
import dev.derphole.session.path.ProbeCodec;
import dev.derphole.session.path.UdpEndpoint;
import dev.derphole.session.rendezvous.CandidatePolicy;

/**
 * Call-me-maybe end to end on loopback: two sessions that started without a usable candidate (the claim went out
 * before the STUN answer or the port mapping), one learns its address late and announces it over the "relay" (an
 * in-memory channel); the peer probes it, answers with its own list, and both sides end up direct.
 */
@Timeout(30)
class CandidateExchangeTest {
    private static final SplittableRandom RANDOM = new SplittableRandom(0xCA11);

    private static byte[] bytes(final int n) {
        final byte[] b = new byte[n];
        RANDOM.nextBytes(b);
        return b;
    }

    private static final class Direct implements PathProber.Listener {
        final CompletableFuture<DirectPath> path = new CompletableFuture<>();

        @Override
        public void onDirect(final DirectPath p) {
            path.complete(p);
        }

        @Override
        public void onPeerHeard(final DirectPath p) {
        }

        @Override
        public void onFallback() {
        }
    }

    private static InetSocketAddress loopback(final UdpEndpoint endpoint) {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), endpoint.port());
    }

    @Test
    void shouldGoDirectOnceALateCandidateIsAnnouncedAndAnswered() throws Exception {
        final byte[] probeKey = bytes(32);
        final byte[] updateKey = bytes(32);
        final byte[] session = bytes(16);
        final NodeKey a = NodeKey.of(bytes(32));
        final NodeKey b = NodeKey.of(bytes(32));
        final AtomicReference<CandidateExchange> toA = new AtomicReference<>();
        final AtomicReference<CandidateExchange> toB = new AtomicReference<>();
        try (UdpEndpoint ea = UdpEndpoint.open(); UdpEndpoint eb = UdpEndpoint.open()) {
            final Direct da = new Direct();
            final Direct db = new Direct();
            final OwnCandidates ownA = new OwnCandidates(CandidatePolicy.ALLOW_LOOPBACK);
            final OwnCandidates ownB = new OwnCandidates(CandidatePolicy.ALLOW_LOOPBACK);
            ownB.local(List.of(CandidatePolicy.canonical(InetAddress.getLoopbackAddress(), eb.port())));
            try (PathProber pa = new PathProber(ea, new ProbeCodec(probeKey, session, a, b), List.of(), da).start();
                PathProber pb = new PathProber(eb, new ProbeCodec(probeKey, session, b, a), List.of(), db).start();
                CandidateExchange xa = new CandidateExchange(new CandidateUpdateCodec(updateKey, session, a, b),
                    packet -> toB.get().onPacket(packet), CandidatePolicy.ALLOW_LOOPBACK, pa, ownA::list);
                CandidateExchange xb = new CandidateExchange(new CandidateUpdateCodec(updateKey, session, b, a),
                    packet -> toA.get().onPacket(packet), CandidatePolicy.ALLOW_LOOPBACK, pb, ownB::list)) {
                toA.set(xa);
                toB.set(xb);
                // Garbage on the control channel is refused, not fatal.
                xa.onPacket(new byte[] {(byte) CandidateUpdateCodec.KIND, 1, 2, 3});
                assertThat(xa.counters()).isEqualTo("0/0/1");
                Thread.sleep(200);
                assertThat(da.path).isNotDone();
                // a learns its address late (say a port mapping) and calls b.
                assertThat(ownA.mapped(CandidatePolicy.canonical(InetAddress.getLoopbackAddress(), ea.port())))
                    .isTrue();
                xa.announce();
                assertThat(db.path.get(5, TimeUnit.SECONDS).remote()).isEqualTo(loopback(ea));
                assertThat(da.path.get(5, TimeUnit.SECONDS).remote()).isEqualTo(loopback(eb));
                // b answered a's call with its own list: a probes b's candidate, not only the learned address.
                final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                while (!xa.counters().startsWith("1/1/") && System.nanoTime() < deadline) {
                    Thread.sleep(10);
                }
                assertThat(xa.counters()).isEqualTo("1/1/1");
                assertThat(xb.counters()).isEqualTo("1/1/0");
                assertThat(pa.peers()).contains(loopback(eb));
            }
        }
    }

    @Test
    void shouldIgnoreAnnouncementsAndUpdatesAfterClose() throws Exception {
        final byte[] session = bytes(16);
        final NodeKey a = NodeKey.of(bytes(32));
        final NodeKey b = NodeKey.of(bytes(32));
        final byte[] updateKey = bytes(32);
        final java.util.concurrent.atomic.AtomicInteger sent = new java.util.concurrent.atomic.AtomicInteger();
        try (UdpEndpoint ea = UdpEndpoint.open();
            PathProber pa = new PathProber(ea, new ProbeCodec(bytes(32), session, a, b), List.of(), new Direct())) {
            final CandidateExchange x = new CandidateExchange(new CandidateUpdateCodec(updateKey, session, a, b),
                packet -> sent.incrementAndGet(), CandidatePolicy.STRICT, pa, List::of);
            x.close();
            // A discovery thread that learns an address as the session ends must not die with an exception.
            x.announce();
            final byte[] update = new CandidateUpdateCodec(updateKey, session, b, a).seal(List.of(), true);
            x.onPacket(update);
            Thread.sleep(50);
            assertThat(sent).hasValue(0);
        }
    }
}
