package dev.derphole.derp.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.derphole.crypto.nacl.Curve25519KeyPair;
import dev.derphole.derp.proto.FrameType;
import dev.derphole.derp.proto.FrameWriter;
import dev.derphole.derp.proto.NodeKey;
import dev.derphole.testing.Fuzz;

/**
 * A relay that sends garbage after a good handshake: the client must never hang or crash; it ends every such
 * connection with a Disconnected event (reconnect disabled) and then reports nothing more.
 */
@Timeout(120)
class DerpClientFuzzTest {
    private static final NodeKey PEER = NodeKey.of(Curve25519KeyPair.generate().publicKey());

    /** A plausible frame stream: every frame type the client knows, some unknown, with sane and odd lengths. */
    private static byte[] validStream() throws Exception {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final FrameWriter w = new FrameWriter(bytes);
        w.writeKeyedFrame(FrameType.RECV_PACKET, PEER, new byte[] {1, 2, 3}, 0, 3);
        w.writeFrame(FrameType.PING, new byte[8], 0, 8);
        w.writeFrame(FrameType.PONG, new byte[8], 0, 8);
        w.writeKeyAndByteFrame(FrameType.PEER_GONE, PEER, 1);
        w.writeKeyedFrame(FrameType.PEER_PRESENT, PEER, new byte[0], 0, 0);
        w.writeFrame(FrameType.HEALTH, "problem".getBytes(), 0, 7);
        w.writeEmptyFrame(FrameType.KEEP_ALIVE);
        w.writeFrame(0x42, new byte[17], 0, 17);
        w.writeFrame(FrameType.RESTARTING, new byte[] {0, 0, 0, 1, 0, 0, 0, 1}, 0, 8);
        w.flush();
        return bytes.toByteArray();
    }

    private static List<byte[]> inputs() throws Exception {
        final List<byte[]> inputs = new ArrayList<>(Fuzz.randomBytes(Fuzz.DEFAULT_SEED, 60, 400));
        inputs.addAll(Fuzz.mutations(Fuzz.DEFAULT_SEED, validStream(), 120));
        // Random frame headers with random types and lengths up to 70 KB, payload possibly cut short.
        final SplittableRandom random = new SplittableRandom(Fuzz.DEFAULT_SEED);
        for (int i = 0; i < 60; i++) {
            final ByteArrayOutputStream b = new ByteArrayOutputStream();
            final FrameWriter w = new FrameWriter(b);
            for (int f = 0; f < 1 + random.nextInt(6); f++) {
                final int type = random.nextInt(4) == 0 ? random.nextInt(256) : 1 + random.nextInt(0x15);
                final byte[] payload = new byte[random.nextInt(4) == 0 ? random.nextInt(70_000) : random.nextInt(40)];
                random.nextBytes(payload);
                w.writeFrame(type, payload, 0, random.nextInt(8) == 0 ? payload.length / 2 : payload.length);
            }
            w.flush();
            inputs.add(b.toByteArray());
        }
        return inputs;
    }

    @Test
    void shouldEndEveryGarbageConnectionWithDisconnected() throws Exception {
        final List<byte[]> inputs = inputs();
        // Each client's input, by its key; redials (after a fuzzed Restarting frame) get theirs only once.
        final ConcurrentHashMap<NodeKey, byte[]> byClient = new ConcurrentHashMap<>();
        try (ScriptedDerpServer server = new ScriptedDerpServer(conn -> {
            final byte[] input = byClient.remove(conn.accept());
            if (input == null) {
                conn.close();
                return;
            }
            conn.out.write(input);
            conn.out.flush();
            conn.close();
        })) {
            Fuzz.forAll(inputs, input -> {
                try (DerpClient client = new DerpClient(DerpClientConfig.builder(server.target())
                    .reconnect(ReconnectPolicy.DISABLED).receiveQueueCapacity(4).build())) {
                    byClient.put(client.publicKey(), input);
                    client.connect();
                    DerpEvent e;
                    int events = 0;
                    do {
                        e = client.receive(Duration.ofSeconds(5));
                        assertThat(e).as("event %d", events).isNotNull();
                        events++;
                    } while (!(e instanceof DerpEvent.Disconnected) && events < 10_000);
                    assertThat(e).isInstanceOf(DerpEvent.Disconnected.class);
                } catch (final Exception ex) {
                    throw new AssertionError(ex);
                }
            });
            assertThat(server.errors()).isEmpty();
        }
    }
}
