package dev.derphole.lanes.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.derphole.lanes.StreamException;
import dev.derphole.lanes.StreamException.Reason;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class PeerLeftWatchTest {
    private static final long S = 1_000_000_000L;
    private static final long T0 = Long.MAX_VALUE - 3 * S; // nanoTime may wrap: compare by difference
    private static final long GRACE = PeerLeftWatch.GRACE_NS;
    private static final long PEER_TIMEOUT = 30 * S;

    @Test
    void shouldNeverFailBeforeThePeerLeft() throws Exception {
        final PeerLeftWatch watch = new PeerLeftWatch(PEER_TIMEOUT);

        watch.check(T0 + 20 * S, T0);
        assertThat(watch.earlier(T0 + 20 * S, T0)).isEqualTo(T0 + 20 * S);
    }

    @Test
    void shouldFailAGraceAfterTheNewsWhenNothingArrives() throws Exception {
        final PeerLeftWatch watch = new PeerLeftWatch(PEER_TIMEOUT);
        watch.onLeft(T0);

        watch.check(T0 + GRACE - 1, T0 - S);
        assertThatThrownBy(() -> watch.check(T0 + GRACE, T0 - S))
            .isInstanceOfSatisfying(StreamException.class, e -> assertThat(e.reason()).isEqualTo(Reason.PEER_VANISHED))
            .hasMessage("peer vanished: it left the relay and sent nothing for 5 s");
    }

    @Test
    void shouldCountTheSilenceFromTheLastPacketWhenThePeerStillSends() throws Exception {
        final PeerLeftWatch watch = new PeerLeftWatch(PEER_TIMEOUT);
        watch.onLeft(T0);
        final long heard = T0 + 4 * S;

        watch.check(heard + GRACE - 1, heard);
        assertThat(watch.earlier(T0 + 60 * S, heard)).isEqualTo(heard + GRACE);
        assertThatThrownBy(() -> watch.check(heard + GRACE, heard)).isInstanceOf(StreamException.class);
    }

    @Test
    void shouldKeepTheFirstNewsAndNeverWaitLongerThanThePeerTimeout() throws Exception {
        final PeerLeftWatch watch = new PeerLeftWatch(PEER_TIMEOUT);
        watch.onLeft(T0);
        watch.onLeft(T0 + 3 * S);
        assertThat(watch.earlier(T0 + 60 * S, T0 - S)).isEqualTo(T0 + GRACE);
        assertThat(watch.earlier(T0 + S, T0 - S)).isEqualTo(T0 + S);

        final PeerLeftWatch shortTimeout = new PeerLeftWatch(S);
        shortTimeout.onLeft(T0);
        assertThat(shortTimeout.earlier(T0 + 60 * S, T0 - S)).isEqualTo(T0 + S);
        assertThatThrownBy(() -> shortTimeout.check(T0 + S, T0 - S)).hasMessageEndingWith("for 1 s");
    }
}
