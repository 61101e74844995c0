package dev.derphole.lanes.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.derphole.lanes.engine.StreamCounters;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class PacketCodecTest {
    private static final byte[] K1 = key(1);
    private static final byte[] K2 = key(2);

    private final StreamCounters aCounters = new StreamCounters();
    private final StreamCounters bCounters = new StreamCounters();
    private final PacketCodec a = new PacketCodec(K1, 10, K2, 20, aCounters);
    private final PacketCodec b = new PacketCodec(K2, 20, K1, 10, bCounters);
    private final byte[] packet = new byte[2048];
    private final byte[] body = new byte[2048];

    @Test
    void shouldSealWithAFreshPacketNumberEveryTimeAndOpenOnTheOtherSide() {
        packet[WireFormat.HEADER_LENGTH] = 42;
        final int n1 = a.seal(PacketType.DATA, packet, 100);
        assertThat(n1).isEqualTo(100 + WireFormat.PACKET_OVERHEAD);
        assertThat(packet[0]).isEqualTo(PacketType.DATA);
        assertThat(packet[1]).isEqualTo((byte)WireFormat.VERSION);
        assertThat(BigEndian.getLong(packet, 2)).isZero();
        final byte[] first = java.util.Arrays.copyOf(packet, n1);
        packet[WireFormat.HEADER_LENGTH] = 42;
        a.seal(PacketType.DATA, packet, 100);
        assertThat(BigEndian.getLong(packet, 2)).isEqualTo(1);

        assertThat(b.open(first, 0, first.length, body)).isEqualTo(100);
        assertThat(body[0]).isEqualTo((byte)42);
        assertThat(b.openedType()).isEqualTo(PacketType.DATA);
        assertThat(b.openedPacketNumber()).isZero();
        assertThat(b.open(first, 0, first.length, body)).isEqualTo(PacketCodec.REPLAYED);
        assertThat(bCounters.get(StreamCounters.REPLAYS)).isEqualTo(1);
    }

    @Test
    void shouldRejectOwnPacketsReflectedBack() {
        final int n = a.seal(PacketType.HEARTBEAT, packet, 0);
        assertThat(a.open(packet, 0, n, body)).isEqualTo(PacketCodec.AUTH_FAILED);
    }

    @Test
    void shouldRejectWrongVersionUnknownTypeAndShortPacketsWithoutDecrypting() {
        final int n = a.seal(PacketType.HEARTBEAT, packet, 0);
        final byte[] v = java.util.Arrays.copyOf(packet, n);
        v[1] = 2;
        assertThat(b.open(v, 0, n, body)).isEqualTo(PacketCodec.MALFORMED);
        v[1] = 1;
        v[0] = 0x20;
        assertThat(b.open(v, 0, n, body)).isEqualTo(PacketCodec.MALFORMED);
        assertThat(b.open(v, 0, WireFormat.PACKET_OVERHEAD - 1, body)).isEqualTo(PacketCodec.MALFORMED);
        assertThat(bCounters.get(StreamCounters.MALFORMED)).isEqualTo(3);
        assertThat(bCounters.get(StreamCounters.AUTH_FAILURES)).isZero();
    }

    @Test
    void shouldNotLetAForgedPacketNumberBlockTheRealOne() {
        final PacketCodec forger = new PacketCodec(key(3), 10, K2, 20, new StreamCounters());
        final int forged = forger.seal(PacketType.HEARTBEAT, packet, 0);
        assertThat(b.open(packet, 0, forged, body)).isEqualTo(PacketCodec.AUTH_FAILED);
        final int real = a.seal(PacketType.HEARTBEAT, packet, 0); // same packet number 0
        assertThat(b.open(packet, 0, real, body)).isZero();
    }

    @Test
    void shouldOnlyMovePacketNumbersForward() {
        a.advanceTo(100);
        a.seal(PacketType.HEARTBEAT, packet, 0);
        assertThat(BigEndian.getLong(packet, 2)).isEqualTo(100);
        assertThatThrownBy(() -> a.advanceTo(50)).isInstanceOf(IllegalArgumentException.class);
    }

    private static byte[] key(final int seed) {
        final byte[] k = new byte[32];
        new java.util.SplittableRandom(seed).nextBytes(k);
        return k;
    }
}
