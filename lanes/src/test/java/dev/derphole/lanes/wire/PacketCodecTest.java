package dev.derphole.lanes.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
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
        assertThat(WireFormat.HEADER_LENGTH).isEqualTo(4);
        assertThat(packet[0]).isEqualTo(PacketType.DATA);
        assertThat(BigEndian.getUnsigned24(packet, 1)).isZero();
        final byte[] first = java.util.Arrays.copyOf(packet, n1);
        packet[WireFormat.HEADER_LENGTH] = 42;
        a.seal(PacketType.DATA, packet, 100);
        assertThat(BigEndian.getUnsigned24(packet, 1)).isEqualTo(1);

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
    void shouldRejectUnknownTypeAndShortPacketsWithoutDecrypting() {
        final int n = a.seal(PacketType.HEARTBEAT, packet, 0);
        final byte[] v = java.util.Arrays.copyOf(packet, n);
        v[0] = 0x20;
        assertThat(b.open(v, 0, n, body)).isEqualTo(PacketCodec.MALFORMED);
        assertThat(b.open(v, 0, WireFormat.PACKET_OVERHEAD - 1, body)).isEqualTo(PacketCodec.MALFORMED);
        assertThat(bCounters.get(StreamCounters.MALFORMED)).isEqualTo(2);
        assertThat(bCounters.get(StreamCounters.AUTH_FAILURES)).isZero();
    }

    @Test
    void shouldFailTheTagWhenAnyHeaderByteIsTampered() {
        a.advanceTo(1_000);
        final int n = a.seal(PacketType.DATA, packet, 40);
        final byte[] sealed = java.util.Arrays.copyOf(packet, n);
        int failures = 0;
        for (int i = 0; i < WireFormat.HEADER_LENGTH; i++) {
            for (final int flip : new int[] {0x01, 0x80}) {
                final byte[] v = sealed.clone();
                v[i] ^= (byte)flip;
                final int result = b.open(v, 0, n, body);
                if (i == 0 && !PacketType.isKnown(v[0] & 0xFF)) {
                    assertThat(result).isEqualTo(PacketCodec.MALFORMED);
                } else {
                    assertThat(result).as("byte %d ^ %x", i, flip).isEqualTo(PacketCodec.AUTH_FAILED);
                    failures++;
                }
            }
        }
        // Every flip but the type byte's 0x80 (an unknown type, dropped before the tag) fails the tag.
        assertThat(bCounters.get(StreamCounters.AUTH_FAILURES)).isEqualTo(failures)
            .isEqualTo(2 * WireFormat.HEADER_LENGTH - 1);
        assertThat(b.open(sealed, 0, n, body)).as("forgeries did not block the real packet").isEqualTo(40);
        assertThat(b.openedPacketNumber()).isEqualTo(1_000);
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
        assertThat(BigEndian.getUnsigned24(packet, 1)).isEqualTo(100);
        assertThatThrownBy(() -> a.advanceTo(50)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void shouldRestoreFullPacketNumbersAcrossTheWrapInAnyOrder() {
        final long wrap = 1L << 24;
        a.advanceTo(wrap - 8);
        final List<byte[]> sealed = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            final int n = a.seal(PacketType.HEARTBEAT, packet, 0);
            sealed.add(java.util.Arrays.copyOf(packet, n));
        }
        assertThat(BigEndian.getUnsigned24(sealed.get(7), 1)).isEqualTo(wrap - 1);
        assertThat(BigEndian.getUnsigned24(sealed.get(8), 1)).isZero();
        // The oldest (so the receiver knows where the numbers are), the newest, then the rest shuffled: each
        // restores to its own full number.
        final List<Integer> order = new ArrayList<>(List.of(0, 15));
        final List<Integer> rest = new ArrayList<>();
        for (int i = 1; i < 15; i++) {
            rest.add(i);
        }
        Collections.shuffle(rest, new java.util.Random(7));
        order.addAll(rest);
        for (final int i : order) {
            final byte[] p = sealed.get(i);
            assertThat(b.open(p, 0, p.length, body)).as("packet %d", i).isZero();
            assertThat(b.openedPacketNumber()).isEqualTo(wrap - 8 + i);
        }
        for (final byte[] p : sealed) {
            assertThat(b.open(p, 0, p.length, body)).isEqualTo(PacketCodec.REPLAYED);
        }
        assertThat(bCounters.get(StreamCounters.AUTH_FAILURES)).isZero();
    }

    @Test
    void shouldAcceptReorderingUpToTheReplayWindowAndRejectOlder() {
        final long base = (1L << 24) - 1_000;
        a.advanceTo(base - 1);
        final byte[] primer = sealHeartbeat(); // tells the receiver where the numbers are
        final byte[] oldest = sealHeartbeat();
        a.advanceTo(base + 1);
        final byte[] inWindow = sealHeartbeat();
        a.advanceTo(base + 1 + PacketCodec.REPLAY_WINDOW_PACKETS - 1);
        final byte[] newest = sealHeartbeat();
        assertThat(b.open(primer, 0, primer.length, body)).isZero();
        assertThat(b.open(newest, 0, newest.length, body)).isZero();
        assertThat(b.openedPacketNumber()).isEqualTo(base + PacketCodec.REPLAY_WINDOW_PACKETS);
        assertThat(b.open(inWindow, 0, inWindow.length, body)).isZero();
        assertThat(b.openedPacketNumber()).isEqualTo(base + 1);
        assertThat(b.open(oldest, 0, oldest.length, body)).isEqualTo(PacketCodec.REPLAYED);
    }

    @Test
    void shouldNotConfuseAPacketWithOneWhoseNumberIsTwoToThe24Later() {
        final long wrap = 1L << 24;
        a.advanceTo(5);
        final byte[] old = sealHeartbeat();
        a.advanceTo(wrap - 10);
        final byte[] bridge = sealHeartbeat();
        a.advanceTo(wrap + 5);
        final byte[] later = sealHeartbeat(); // same low 24 bits as old
        assertThat(BigEndian.getUnsigned24(later, 1)).isEqualTo(BigEndian.getUnsigned24(old, 1));
        a.advanceTo(wrap + 100);
        final byte[] newest = sealHeartbeat();

        assertThat(b.open(old, 0, old.length, body)).isZero();
        assertThat(b.openedPacketNumber()).isEqualTo(5);
        assertThat(b.open(bridge, 0, bridge.length, body)).isZero();
        assertThat(b.openedPacketNumber()).isEqualTo(wrap - 10);
        assertThat(b.open(newest, 0, newest.length, body)).isZero();
        assertThat(b.openedPacketNumber()).isEqualTo(wrap + 100);
        // The old packet replayed now reads as number 2^24 + 5, which is fresh, but its tag was made for 5.
        assertThat(b.open(old, 0, old.length, body)).isEqualTo(PacketCodec.AUTH_FAILED);
        // The real 2^24 + 5 is neither blocked by that nor taken for the old one.
        assertThat(b.open(later, 0, later.length, body)).isZero();
        assertThat(b.openedPacketNumber()).isEqualTo(wrap + 5);
        assertThat(b.open(later, 0, later.length, body)).isEqualTo(PacketCodec.REPLAYED);
        assertThat(b.open(old, 0, old.length, body)).isEqualTo(PacketCodec.REPLAYED);
        // A receiver that expects numbers near 0 reads 2^24 + 5 as 5: a wrong guess, so the tag fails.
        final StreamCounters freshCounters = new StreamCounters();
        final PacketCodec fresh = new PacketCodec(K2, 20, K1, 10, freshCounters);
        assertThat(fresh.open(later, 0, later.length, body)).isEqualTo(PacketCodec.AUTH_FAILED);
        assertThat(freshCounters.get(StreamCounters.AUTH_FAILURES)).isEqualTo(1);
    }

    private byte[] sealHeartbeat() {
        final int n = a.seal(PacketType.HEARTBEAT, packet, 0);
        return java.util.Arrays.copyOf(packet, n);
    }

    private static byte[] key(final int seed) {
        final byte[] k = new byte[32];
        new java.util.SplittableRandom(seed).nextBytes(k);
        return k;
    }
}
