package dev.derphole.udp.debug;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.derphole.udp.PacketPath;
import dev.derphole.udp.debug.LossModel.Action;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class LossInjectingPathTest {
    /** A path that records what it is asked to send and can deliver to its handler. */
    private static final class RecordingPath implements PacketPath {
        final List<Integer> sent = new ArrayList<>();
        PacketHandler handler;
        boolean closed;

        @Override
        public String name() {
            return "recording";
        }

        @Override
        public int maxDatagramLength() {
            return 1500;
        }

        @Override
        public boolean send(final byte[] buffer, final int offset, final int length) {
            sent.add(buffer[offset] & 0xff);
            return true;
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

    private static List<Integer> run(final long seed) throws IOException {
        final RecordingPath inner = new RecordingPath();
        try (LossInjectingPath path = new LossInjectingPath(inner, new LossModel(seed, 0.2, 0.1, 0.1))) {
            for (int i = 0; i < 200; i++) {
                assertThat(path.send(new byte[] {(byte)i}, 0, 1)).isTrue();
            }
            path.releaseDelayed();
            final LossModel model = path.model();
            assertThat(inner.sent).hasSize((int)(model.count(Action.PASS) + 2 * model.count(Action.DUPLICATE)
                + model.count(Action.DELAY)));
        }
        assertThat(inner.closed).isTrue();
        return inner.sent;
    }

    @Test
    void shouldRepeatTheSameLossPatternForTheSameSeed() throws IOException {
        final List<Integer> first = run(5);

        assertThat(run(5)).isEqualTo(first);
        assertThat(run(6)).isNotEqualTo(first);
        // Duplicates and reordering really happened (and drops: fewer distinct values than sent).
        final List<Integer> sorted = new ArrayList<>(first);
        sorted.sort(null);
        assertThat(first).isNotEqualTo(sorted);
        assertThat(new java.util.HashSet<>(first)).hasSizeLessThan(first.size()).hasSizeLessThan(200);
    }

    @Test
    void shouldHandReceivedDatagramsOnAsArrivingOnTheDecorator() {
        final RecordingPath inner = new RecordingPath();
        final LossInjectingPath path = new LossInjectingPath(inner, new LossModel(1, 0, 0, 0));
        final List<PacketPath> seenOn = new ArrayList<>();
        path.receiver((on, buffer, offset, length) -> seenOn.add(on));

        inner.handler.onPacket(inner, new byte[1], 0, 1);

        assertThat(seenOn).containsExactly(path);
        assertThat(path.name()).isEqualTo("recording");
        assertThat(path.maxDatagramLength()).isEqualTo(1500);
    }
}
