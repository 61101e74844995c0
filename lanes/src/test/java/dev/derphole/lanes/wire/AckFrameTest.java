package dev.derphole.lanes.wire;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class AckFrameTest {
    @Test
    void shouldRoundTripEveryField() {
        final AckFrame a = new AckFrame();
        a.flags = WireFormat.ACK_FLAG_FIN_RECEIVED | WireFormat.ACK_FLAG_HAS_ECHO;
        a.cumulative = 1L << 40;
        a.maxOffset = (1L << 40) + (32 << 20);
        a.largestPacketNumber = 123_456_789L;
        a.ackDelayMicros = 4_000_000_000L;
        a.duplicateBytes = 77;
        a.rangeCount = WireFormat.ACK_MAX_RANGES;
        for (int i = 0; i < a.rangeCount; i++) {
            a.rangeStart[i] = a.cumulative + 1000L * i + 1;
            a.rangeEnd[i] = a.rangeStart[i] + 500;
        }
        final byte[] wire = new byte[a.length()];
        assertThat(a.encode(wire, 0)).isEqualTo(38 + 64 * 8);

        final AckFrame b = new AckFrame();
        assertThat(b.decode(wire, wire.length)).isTrue();
        assertThat(b.flags).isEqualTo(a.flags);
        assertThat(b.cumulative).isEqualTo(a.cumulative);
        assertThat(b.maxOffset).isEqualTo(a.maxOffset);
        assertThat(b.largestPacketNumber).isEqualTo(a.largestPacketNumber);
        assertThat(b.ackDelayMicros).isEqualTo(a.ackDelayMicros);
        assertThat(b.duplicateBytes).isEqualTo(77);
        assertThat(b.rangeStart).isEqualTo(a.rangeStart);
        assertThat(b.rangeEnd).isEqualTo(a.rangeEnd);
    }

    @Test
    void shouldRejectMalformedBodies() {
        final AckFrame a = new AckFrame();
        a.rangeCount = 1;
        a.rangeStart[0] = 10;
        a.rangeEnd[0] = 20;
        final byte[] wire = new byte[a.length()];
        a.encode(wire, 0);
        final AckFrame b = new AckFrame();
        assertThat(b.decode(wire, wire.length)).isTrue();
        assertThat(b.decode(wire, wire.length - 1)).as("length disagrees with count").isFalse();
        wire[0] = (byte)0x80;
        assertThat(b.decode(wire, wire.length)).as("unknown flag").isFalse();
        wire[0] = 0;
        BigEndian.putInt(wire, WireFormat.ACK_RANGES_OFFSET, 0);
        assertThat(b.decode(wire, wire.length)).as("range starting at the cumulative offset").isFalse();
        BigEndian.putInt(wire, WireFormat.ACK_RANGES_OFFSET, 30);
        assertThat(b.decode(wire, wire.length)).as("empty/inverted range").isFalse();
    }
}
