package dev.derphole.udp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class PacketBatchTest {
    @Test
    void shouldRefuseClaimsWhenFullAndCountThemWithoutTouchingSlots() {
        try (PacketBatch batch = new PacketBatch(4, 100)) {
            final SplittableRandom random = new SplittableRandom(7);
            final byte[][] payloads = new byte[4][];
            for (int i = 0; i < 4; i++) {
                payloads[i] = new byte[10 + i];
                random.nextBytes(payloads[i]);
                assertThat(batch.add(payloads[i], 0, payloads[i].length)).isEqualTo(i);
            }

            assertThat(batch.isFull()).isTrue();
            assertThat(batch.claim()).isEqualTo(-1);
            assertThat(batch.add(new byte[5], 0, 5)).isEqualTo(-1);
            assertThat(batch.claimRefusals()).isEqualTo(2);
            assertThat(batch.count()).isEqualTo(4);
            for (int i = 0; i < 4; i++) {
                final byte[] copy = new byte[payloads[i].length];
                assertThat(batch.copyTo(i, copy, 0)).isEqualTo(payloads[i].length);
                assertThat(copy).isEqualTo(payloads[i]);
            }
        }
    }

    @Test
    void shouldLayOutClaimedSlotsAtAlignedStrides() {
        try (PacketBatch batch = new PacketBatch(3, 1452)) {
            assertThat(batch.stride()).isEqualTo(1472).isGreaterThan(1452);
            assertThat(batch.stride() % PacketBatch.SLOT_ALIGNMENT).isZero();
            for (int i = 0; i < 3; i++) {
                final int slot = batch.claim();
                assertThat(batch.offset(slot)).isEqualTo((long)slot * batch.stride());
                assertThat(batch.length(slot)).isZero();
            }
            assertThat(batch.data().address() % 4096).isZero();
        }
    }

    @Test
    void shouldLetCallersWriteInPlaceAndSetTheLength() {
        try (PacketBatch batch = new PacketBatch(2, 64)) {
            final int slot = batch.claim();
            batch.data().set(ValueLayout.JAVA_INT_UNALIGNED, batch.offset(slot), 0x01020304);
            batch.length(slot, 4);

            final byte[] out = new byte[4];
            batch.copyTo(slot, out, 0);
            assertThat(batch.payload(slot).byteSize()).isEqualTo(4);
            assertThat(out).containsExactly(0x04, 0x03, 0x02, 0x01);
            assertThatThrownBy(() -> batch.length(slot, 65)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> batch.length(1, 1)).isInstanceOf(IndexOutOfBoundsException.class);
            assertThatThrownBy(() -> batch.add(new byte[65], 0, 65)).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void shouldKeepAddressesPerSlot() throws Exception {
        try (PacketBatch batch = new PacketBatch(4, 64)) {
            final InetSocketAddress v4 = new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 4242);
            final InetSocketAddress v6 = new InetSocketAddress(InetAddress.getByName("::1"), 65535);
            batch.add(new byte[1], 0, 1, v4);
            batch.add(new byte[1], 0, 1, v6);
            batch.add(new byte[1], 0, 1, v4);
            batch.add(new byte[1], 0, 1);

            assertThat(batch.address(0)).isEqualTo(v4);
            assertThat(batch.address(1)).isEqualTo(v6);
            assertThat(batch.address(3)).isNull();
            assertThat(batch.sameAddress(0, 2)).isTrue();
            assertThat(batch.sameAddress(0, 1)).isFalse();
            assertThat(batch.sameAddress(0, 3)).isFalse();
            final MemorySegment cell = SockAddr.cellOf(v6);
            assertThat(batch.addressMatches(1, cell, 0)).isTrue();
            assertThat(batch.addressMatches(0, cell, 0)).isFalse();
        }
    }

    @Test
    void shouldSizeGroReceiveBatchesForWholeRegions() {
        try (PacketBatch batch = PacketBatch.forGroReceive(16, 1472);
             PacketBatch tiny = PacketBatch.forGroReceive(1, 10);
             PacketBatch plain = new PacketBatch(64, 1500)) {
            assertThat(batch.capacity()).isEqualTo(16 * PacketBatch.MAX_GRO_SEGMENTS);
            assertThat(batch.groMessagesPerReceive()).isEqualTo(16);
            assertThat(tiny.groMessagesPerReceive()).isEqualTo(1);
            assertThat(plain.groMessagesPerReceive()).isEqualTo(1);
        }
        try (PacketBatch small = new PacketBatch(8, 1500)) {
            assertThat(small.groMessagesPerReceive()).isZero();
        }
    }

    @Test
    void shouldRejectAppendsOutsideTheData() {
        try (PacketBatch batch = new PacketBatch(2, 100)) {
            assertThat(batch.append(0, 10)).isZero();
            assertThatThrownBy(() -> batch.append(batch.data().byteSize() - 5, 10))
                .isInstanceOf(IndexOutOfBoundsException.class);
            assertThat(batch.append(100, 10)).isEqualTo(1);
            assertThatThrownBy(() -> batch.append(0, 1)).isInstanceOf(IllegalStateException.class);
        }
    }

    @Test
    void shouldFreeMemoryOnCloseButNotForGcManagedBatches() {
        final PacketBatch batch = new PacketBatch(1, 10);
        batch.close();
        batch.close();
        assertThat(batch.isOpen()).isFalse();
        assertThatThrownBy(() -> batch.data().get(ValueLayout.JAVA_BYTE, 0)).isInstanceOf(IllegalStateException.class);

        final PacketBatch managed = PacketBatch.gcManaged(1, 10);
        managed.close();
        assertThat(managed.isOpen()).isTrue();
        assertThat(managed.add(new byte[3], 0, 3)).isZero();
    }

    @Test
    void shouldRejectBadGeometry() {
        assertThatThrownBy(() -> new PacketBatch(0, 10)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new PacketBatch(1, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new PacketBatch(1, 70_000)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new PacketBatch(1 << 20, 65_000)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void shouldViewSlotsThroughAReusablePacketSlot() {
        try (PacketBatch batch = new PacketBatch(2, 100)) {
            batch.add(new byte[] {1, 2, 3}, 0, 3);
            final PacketSlot slot = new PacketSlot().wrap(batch, 0);
            final byte[] out = new byte[3];

            assertThat(slot.length()).isEqualTo(3);
            assertThat(slot.copyTo(out, 0)).isEqualTo(3);
            assertThat(out).containsExactly(1, 2, 3);
            assertThat(slot.memory()).isSameAs(batch.data());
            assertThat(slot.address()).isNull();
            assertThatThrownBy(() -> slot.wrap(batch, 1)).isInstanceOf(IndexOutOfBoundsException.class);
        }
    }
}
