package dev.derphole.derp.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.derphole.derp.proto.FrameType;

@Timeout(60)
class DerpServerRateLimitTest {
    private static final Duration WAIT = Duration.ofSeconds(20);

    @Test
    void shouldAdvertiseTheAppliedRateLimitInServerInfo() throws Exception {
        try (DerpServer server = TestRelays.startPlain(b -> b.rateLimit(200_000, 1000));
             RawDerpTestClient c = RawDerpTestClient.connect(server)) {
            // A burst below one maximum SendPacket frame is raised to it, as derper does.
            assertThat(c.serverInfoJson()).isEqualTo(
                "{\"version\":2,\"TokenBucketBytesPerSecond\":200000,\"TokenBucketBytesBurst\":65568}");
            assertThat(server.config().rateLimitBurstBytes()).isEqualTo(DerpServerConfig.MIN_RATE_LIMIT_BURST_BYTES);
        }
    }

    @Test
    void shouldThrottleASendersReadsToTheConfiguredRate() throws Exception {
        final long rate = 400_000;
        final int packets = 1000;
        final byte[] packet = new byte[1000];
        try (DerpServer server = TestRelays.startPlain(b -> b.rateLimit(rate, 0).queueDepth(2 * packets));
             RawDerpTestClient a = RawDerpTestClient.connect(server);
             RawDerpTestClient b = RawDerpTestClient.connect(server)) {
            final long startNs = System.nanoTime();
            for (int i = 0; i < packets; i++) {
                a.sendPacket(b.key(), packet, 0, packet.length, i % 32 == 31);
            }
            a.flush();
            for (int i = 0; i < packets; i++) {
                b.expect(FrameType.RECV_PACKET, WAIT);
            }
            final double seconds = (System.nanoTime() - startNs) / 1e9;
            // 1000 frames of 1037 bytes minus one burst of 65568 at 400 kB/s need >= 2.4 s; unthrottled this takes
            // milliseconds. Generous bounds keep slow machines green.
            final double minimum = (packets * (packet.length + 32.0 + 5) - DerpServerConfig.MIN_RATE_LIMIT_BURST_BYTES)
                / rate;
            assertThat(seconds).isGreaterThan(0.8 * minimum).isLessThan(minimum + 15);
            assertThat(server.counters().rateLimitWaits()).isPositive();
            assertThat(server.counters().drops()).isZero();
        }
    }

    @Test
    void shouldNotThrottleWithoutALimit() throws Exception {
        try (DerpServer server = TestRelays.startPlain();
             RawDerpTestClient c = RawDerpTestClient.connect(server)) {
            assertThat(c.serverInfoJson()).isEqualTo("{\"version\":2}");
            for (int i = 0; i < 100; i++) {
                c.sendFrame(0x7e, new byte[10_000]);
            }
            c.ping(new byte[8]);
            c.expect(FrameType.PONG, WAIT);
            assertThat(server.counters().rateLimitWaits()).isZero();
        }
    }
}
