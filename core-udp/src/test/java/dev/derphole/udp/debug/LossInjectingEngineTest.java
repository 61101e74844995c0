package dev.derphole.udp.debug;

import static dev.derphole.udp.UdpTestSupport.loopback4;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.derphole.udp.DatagramEngine;
import dev.derphole.udp.DatagramEngineConfig;
import dev.derphole.udp.DatagramEngines;
import dev.derphole.udp.EngineKind;
import dev.derphole.udp.PacketBatch;
import dev.derphole.udp.UdpTestSupport;
import dev.derphole.udp.UdpTestSupport.Received;
import dev.derphole.udp.debug.LossModel.Action;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class LossInjectingEngineTest {
    private static final int BATCHES = 10;
    private static final int PER_BATCH = 20;

    /** Sends BATCHES x PER_BATCH sequenced datagrams through a lossy sender and returns the sequence received. */
    private static List<Integer> run(final long seed) throws IOException {
        final DatagramEngineConfig config = DatagramEngineConfig.builder(loopback4()).build();
        try (DatagramEngine receiver = DatagramEngines.open(EngineKind.MMSG, config);
             LossInjectingEngine sender = new LossInjectingEngine(
                 DatagramEngines.open(EngineKind.MMSG, config), new LossModel(seed, 0.1, 0.1, 0.1));
             PacketBatch out = new PacketBatch(PER_BATCH, 1500);
             PacketBatch in = new PacketBatch(64, 1500)) {
            int sequence = 0;
            for (int b = 0; b < BATCHES; b++) {
                out.clear();
                for (int i = 0; i < PER_BATCH; i++) {
                    final byte[] message = UdpTestSupport.payload(seed, sequence++, 1200);
                    out.add(message, 0, message.length, receiver.localAddress());
                }
                assertThat(sender.sendBatch(out, 1200)).isEqualTo(PER_BATCH);
            }
            final int held = sender.delayedCount();
            assertThat(sender.releaseDelayed()).isEqualTo(held);
            final LossModel model = sender.model();
            final long expected = model.count(Action.PASS) + 2 * model.count(Action.DUPLICATE)
                + model.count(Action.DELAY);
            final List<Integer> sequences = new ArrayList<>();
            for (final Received r : UdpTestSupport.receive(receiver, in, (int)expected)) {
                final byte[] p = r.payload();
                sequences.add((p[0] & 0xff) << 24 | (p[1] & 0xff) << 16 | (p[2] & 0xff) << 8 | p[3] & 0xff);
            }
            assertThat(sequences).hasSize((int)expected);
            return sequences;
        }
    }

    /** What the decorator must produce for a seed, computed from the model alone. */
    private static List<Integer> predicted(final long seed) {
        final LossModel model = new LossModel(seed, 0.1, 0.1, 0.1);
        final List<Integer> out = new ArrayList<>();
        List<Integer> held = new ArrayList<>();
        int sequence = 0;
        for (int b = 0; b < BATCHES; b++) {
            final List<Integer> nextHeld = new ArrayList<>();
            for (int i = 0; i < PER_BATCH; i++, sequence++) {
                switch (model.next()) {
                    case DROP -> {
                    }
                    case DUPLICATE -> {
                        out.add(sequence);
                        out.add(sequence);
                    }
                    case DELAY -> nextHeld.add(sequence);
                    default -> out.add(sequence);
                }
            }
            out.addAll(held);
            held = nextHeld;
        }
        out.addAll(held);
        return out;
    }

    @Test
    void shouldDropDuplicateAndReorderExactlyAsTheSeedSays() throws IOException {
        final List<Integer> first = run(11);

        assertThat(first).isEqualTo(predicted(11));
        assertThat(run(11)).isEqualTo(first);
        assertThat(run(12)).isEqualTo(predicted(12)).isNotEqualTo(first);
    }
}
