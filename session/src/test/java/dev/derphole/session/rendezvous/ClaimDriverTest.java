package dev.derphole.session.rendezvous;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.derphole.derp.proto.NodeKey;

/**
 * The resend loop against a listener wired in memory (an ideal relay that can drop packets), on a fake
 * nanosecond clock that moves only when the driver waits.
 */
@Timeout(30)
class ClaimDriverTest {
    private final long[] nowNs = {1_000_000_000L};
    private final ArrayDeque<ClaimDriver.Received> inbox = new ArrayDeque<>();
    private int sends;
    private int dropFirst;

    @Test
    void shouldReturnTheAcceptanceAfterOneRoundTrip() throws Exception {
        final Peers peers = new Peers(21);
        final NodeKey key = peers.newKey();
        final Decision decision = driver(peers, key, Duration.ofSeconds(30)).run();
        assertThat(decision.accepted()).isTrue();
        assertThat(decision.candidates()).isEqualTo(Peers.LISTENER_CANDIDATES);
        assertThat(sends).isEqualTo(1);
        assertThat(peers.listener.claimed()).isPresent();
    }

    @Test
    void shouldResendEvery250MsUntilAClaimGetsThrough() throws Exception {
        final Peers peers = new Peers(22);
        final NodeKey key = peers.newKey();
        dropFirst = 3;
        final long start = nowNs[0];
        final Decision decision = driver(peers, key, Duration.ofSeconds(30)).run();
        assertThat(decision.accepted()).isTrue();
        assertThat(sends).isEqualTo(4);
        assertThat(nowNs[0] - start).isEqualTo(Duration.ofMillis(750).toNanos());
    }

    @Test
    void shouldGiveUpAfterTheTimeoutWithAClearMessage() {
        final Peers peers = new Peers(23);
        final NodeKey key = peers.newKey();
        dropFirst = Integer.MAX_VALUE;
        final long start = nowNs[0];
        assertThatThrownBy(() -> driver(peers, key, ClaimDriver.DEFAULT_TIMEOUT).run())
            .isInstanceOfSatisfying(RendezvousException.class, e -> assertThat(e.rejectCode()).isEmpty())
            .hasMessage("no answer from the listener within 30s: is `derphole listen` still running,"
                + " and is the token current?");
        assertThat(nowNs[0] - start).isEqualTo(Duration.ofSeconds(30).toNanos());
        assertThat(sends).isEqualTo(120);
    }

    @Test
    void shouldSurfaceTheListenersRejection() throws Exception {
        final Peers peers = new Peers(24);
        final NodeKey first = peers.newKey();
        driver(peers, first, Duration.ofSeconds(5)).run();
        final NodeKey second = peers.newKey();
        assertThatThrownBy(() -> driver(peers, second, Duration.ofSeconds(5)).run())
            .isInstanceOfSatisfying(RendezvousException.class,
                e -> assertThat(e.rejectCode()).contains(RejectCode.CLAIMED))
            .hasMessage("session already claimed");
    }

    @Test
    void shouldIgnoreNoiseWhileWaiting() throws Exception {
        final Peers peers = new Peers(25);
        final NodeKey key = peers.newKey();
        final RendezvousClaimer claimer = peers.claimer(key);
        inbox.add(new ClaimDriver.Received(peers.newKey(), new byte[] {1, 2, 3}));
        final byte[] forged = new byte[64];
        forged[0] = RendezvousProtocol.KIND_DECISION;
        forged[1] = RendezvousProtocol.VERSION;
        inbox.add(new ClaimDriver.Received(peers.token.derpPublicKey(), forged));
        final ClaimDriver driver = new ClaimDriver(claimer, (destination, packet) -> {
            sends++;
            assertThat(destination).isEqualTo(peers.token.derpPublicKey());
            peers.deliver(key, packet).reply().ifPresent(r -> inbox.add(new ClaimDriver.Received(
                peers.token.derpPublicKey(), r.packet())));
        }, this::poll, () -> nowNs[0], Duration.ofSeconds(1));
        assertThat(driver.run().accepted()).isTrue();
        assertThat(claimer.counter(RendezvousClaimer.Counter.FOREIGN_SOURCE)).isEqualTo(1);
        assertThat(claimer.counter(RendezvousClaimer.Counter.AUTH_FAILURE)).isEqualTo(1);
    }

    @Test
    void shouldDescribeSubSecondTimeoutsInMilliseconds() {
        final Peers peers = new Peers(26);
        final NodeKey key = peers.newKey();
        dropFirst = Integer.MAX_VALUE;
        assertThatThrownBy(() -> driver(peers, key, Duration.ofMillis(1500)).run())
            .hasMessageStartingWith("no answer from the listener within 1500ms:");
        assertThat(sends).isEqualTo(6);
        assertThatThrownBy(() -> new ClaimDriver(peers.claimer(key), (d, p) -> { }, t -> null, () -> 0,
            Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
    }

    private ClaimDriver driver(final Peers peers, final NodeKey key, final Duration timeout) {
        final RendezvousClaimer claimer = peers.claimer(key, peers.token, peers.token.capabilityBits(), List.of());
        return new ClaimDriver(claimer, (destination, packet) -> {
            sends++;
            if (sends <= dropFirst) {
                return;
            }
            peers.deliver(key, packet).reply().ifPresent(r -> inbox.add(new ClaimDriver.Received(
                peers.token.derpPublicKey(), r.packet())));
        }, this::poll, () -> nowNs[0], timeout);
    }

    /** Next packet, or the whole wait elapses on the fake clock. */
    private ClaimDriver.Received poll(final long timeoutNs) {
        final ClaimDriver.Received next = inbox.poll();
        if (next == null) {
            nowNs[0] += timeoutNs;
        }
        return next;
    }
}
