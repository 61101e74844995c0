package dev.derphole.udp.debug;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.derphole.udp.PacketPath;

class ForwardingPathTest {
    /** A relay-like path whose every answer differs from {@link PacketPath}'s defaults. */
    private static final class RelayLikePath implements PacketPath {
        final List<Integer> sent = new ArrayList<>();
        PacketHandler handler;
        int discards;
        boolean closed;

        @Override
        public String name() {
            return "relay-like";
        }

        @Override
        public int maxDatagramLength() {
            return 1_000;
        }

        @Override
        public long rttHintNanos() {
            return 42;
        }

        @Override
        public int maxReceiveLength() {
            return 9_000;
        }

        @Override
        public int typicalReceiveLength() {
            return 1_500;
        }

        @Override
        public boolean lossIsCongestion() {
            return true;
        }

        @Override
        public boolean send(final byte[] buffer, final int offset, final int length) {
            sent.add((int)buffer[offset]);
            return true;
        }

        @Override
        public boolean queue(final byte[] buffer, final int offset, final int length) {
            throw new AssertionError("a decorator's queue must go through its own send");
        }

        @Override
        public void discardQueued() {
            discards++;
        }

        @Override
        public void receiver(final PacketHandler newHandler) {
            handler = newHandler;
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    /** Counts what passes through its {@link #send}, as a decorator would. */
    private static final class Counting extends ForwardingPath {
        int seen;

        Counting(final PacketPath delegate) {
            super(delegate);
        }

        @Override
        public boolean send(final byte[] buffer, final int offset, final int length) throws java.io.IOException {
            seen++;
            return super.send(buffer, offset, length);
        }
    }

    @Test
    void shouldAnswerEveryQuestionAsTheRealPathDoes() {
        final RelayLikePath real = new RelayLikePath();
        final Counting path = new Counting(real);
        assertThat(path.name()).isEqualTo("relay-like");
        assertThat(path.maxDatagramLength()).isEqualTo(1_000);
        assertThat(path.rttHintNanos()).isEqualTo(42);
        assertThat(path.maxReceiveLength()).isEqualTo(9_000);
        assertThat(path.typicalReceiveLength()).isEqualTo(1_500);
        // A relay's losses are congestion: a loss injector over it must not turn them into random loss.
        assertThat(path.lossIsCongestion()).isTrue();
        path.discardQueued();
        assertThat(real.discards).isEqualTo(1);
        path.close();
        assertThat(real.closed).isTrue();
    }

    @Test
    void shouldSendQueuedDatagramsThroughItsOwnSendAndReportArrivalsAsItsOwn() throws Exception {
        final RelayLikePath real = new RelayLikePath();
        final Counting path = new Counting(real);
        assertThat(path.queue(new byte[] {7}, 0, 1)).isTrue();
        path.flush();
        assertThat(path.seen).isEqualTo(1);
        assertThat(real.sent).containsExactly(7);

        final List<PacketPath> arrivedOn = new ArrayList<>();
        path.receiver((p, buffer, offset, length) -> arrivedOn.add(p));
        real.handler.onPacket(real, new byte[] {1}, 0, 1);
        assertThat(arrivedOn).containsExactly(path);
    }
}
