package dev.derphole.session.link;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.derphole.derp.client.DerpClient;
import dev.derphole.derp.client.DerpClientConfig;
import dev.derphole.derp.client.DerpTarget;
import dev.derphole.derp.server.DerpServer;
import dev.derphole.derp.server.DerpServerConfig;
import dev.derphole.session.rendezvous.ClaimDriver;

/** PeerLink on a loopback relay: how packets are sorted between the relay path, the rendezvous queue and drops. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PeerLinkTest {
    private static final long WAIT_NS = TimeUnit.SECONDS.toNanos(10);

    private DerpServer server;
    private DerpClient peer;
    private DerpClient stranger;
    private PeerLink link;

    private record Delivery(String thread, byte[] data) {
    }

    @AfterEach
    void tearDown() {
        for (final AutoCloseable c : new AutoCloseable[] {link, peer, stranger, server}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (final Exception e) {
                // best effort
            }
        }
    }

    private DerpClient client() throws Exception {
        final DerpClient c = new DerpClient(DerpClientConfig.builder(DerpTarget.parse(server.derpUrl())).build());
        c.connect();
        return c;
    }

    @Test
    void shouldDeliverTheBoundPeersStreamPacketsOnTheReaderThreadAndQueueRendezvousPackets() throws Exception {
        // Room for the whole burst: the relay drops the oldest packets beyond its queue depth (32 by default).
        server = new DerpServer(DerpServerConfig.builder().listen("127.0.0.1:0").queueDepth(256).build()).start();
        peer = client();
        stranger = client();
        link = new PeerLink(client()).start();
        final RelayPath path = link.pathTo(peer.publicKey());
        assertThat(path.lossIsCongestion()).as("TCP underneath: no random loss to tolerate").isTrue();
        final LinkedBlockingQueue<Delivery> delivered = new LinkedBlockingQueue<>();
        path.receiver((from, buffer, offset, length) -> {
            assertThat(from).isSameAs(path);
            delivered.add(new Delivery(Thread.currentThread().getName(),
                Arrays.copyOfRange(buffer, offset, offset + length)));
        });

        stranger.send(link.ownKey(), new byte[] {0x10, 1}, 0, 2); // stream packet from someone else: dropped
        for (int i = 0; i < 100; i++) {
            peer.send(link.ownKey(), new byte[] {0x10, (byte)i, 7}, 0, 3);
        }
        peer.send(link.ownKey(), new byte[] {0x01, 5}, 0, 2); // rendezvous

        for (int i = 0; i < 100; i++) {
            final Delivery d = delivered.poll(WAIT_NS, TimeUnit.NANOSECONDS);
            assertThat(d).as("stream packet %d", i).isNotNull();
            assertThat(d.data()).containsExactly(0x10, i, 7);
            assertThat(d.thread()).startsWith("derp-reader-");
        }
        final ClaimDriver.Received r = link.pollRendezvous(WAIT_NS);
        assertThat(r).isNotNull();
        assertThat(r.source()).isEqualTo(peer.publicKey());
        final long deadline = System.nanoTime() + WAIT_NS;
        while (link.dropped() == 0 && System.nanoTime() < deadline) {
            Thread.sleep(Duration.ofMillis(5));
        }
        assertThat(link.dropped()).isEqualTo(1);
        assertThat(delivered).isEmpty();
    }
}
