package dev.derphole.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The exact progress line for given counts, times and rates: units, bar, remaining time, hours, unknown total. */
class ProgressLineTest {
    private static final long KIB = 1024;
    private static final long MIB = KIB * KIB;
    private static final long GIB = MIB * KIB;
    private static final long TIB = GIB * KIB;
    private static final long SECOND_NS = 1_000_000_000L;
    private static final double UNKNOWN = Double.NaN;

    @Test
    void shouldPrintWholeBytesBelowOneKibibyteAndOneDecimalAbove() {
        assertThat(size(0)).isEqualTo("0B");
        assertThat(size(512)).isEqualTo("512B");
        assertThat(size(1023)).isEqualTo("1023B");
        assertThat(size(1024)).isEqualTo("1.0KiB");
        assertThat(size(1536)).isEqualTo("1.5KiB");
        assertThat(size(MIB + MIB / 2)).isEqualTo("1.5MiB");
        assertThat(size(3 * MIB + MIB / 5)).isEqualTo("3.2MiB");
        assertThat(size(5 * GIB)).isEqualTo("5.0GiB");
        assertThat(size(5 * TIB / 2)).isEqualTo("2.5TiB");
        assertThat(size(2048 * TIB)).as("no unit above TiB").isEqualTo("2048.0TiB");
    }

    @Test
    void shouldMoveToTheNextUnitWhenOneDecimalWouldRead1024() {
        assertThat(size(MIB - 1)).as("1023.999KiB").isEqualTo("1.0MiB");
        assertThat(size(MIB - 52)).as("1023.949KiB").isEqualTo("1023.9KiB");
        assertThat(size(GIB - 1)).isEqualTo("1.0GiB");
        assertThat(size(1023.4)).as("a rate just below 1 KiB/s").isEqualTo("1023B");
        assertThat(size(1023.5)).as("a rate that rounds to 1 KiB/s").isEqualTo("1.0KiB");
        assertThat(size(999.9999999999999)).as("a rate rounded, not floored").isEqualTo("1000B");
    }

    @Test
    void shouldDrawAnEmptyBarAndQuestionMarksBeforeARateExists() {
        assertThat(line(0, GIB, 0, UNKNOWN)).isEqualTo("  0%|....................| 0B/1.0GiB [00:00<?, ?B/s]");
        assertThat(line(0, GIB, SECOND_NS, 0.0)).as("a zero rate gives no remaining time")
            .isEqualTo("  0%|....................| 0B/1.0GiB [00:01<?, 0B/s]");
    }

    @Test
    void shouldDrawAFullBarAndNoRemainingTimeAtTheTotal() {
        assertThat(line(3 * GIB, 3 * GIB, 10 * SECOND_NS, 3.0 * GIB / 10))
            .isEqualTo("100%|####################| 3.0GiB/3.0GiB [00:10<00:00, 307.2MiB/s]");
        assertThat(line(3 * GIB + 1, 3 * GIB, 10 * SECOND_NS, 3.0 * GIB / 10)).as("capped at 100 %")
            .startsWith("100%|####################| 3.0GiB/3.0GiB [00:10<00:00");
    }

    @Test
    void shouldFloorThePercentageAndTheBar() {
        assertThat(line(49, 1000, 0, UNKNOWN)).startsWith("  4%|....................| 49B/1000B");
        assertThat(line(50, 1000, 0, UNKNOWN)).startsWith("  5%|#...................| 50B/1000B");
        assertThat(line(99, 1000, 0, UNKNOWN)).startsWith("  9%|#...................|");
        assertThat(line(100, 1000, 0, UNKNOWN)).startsWith(" 10%|##..................|");
        assertThat(line(999, 1000, 0, UNKNOWN)).as("never 100 % before the last byte")
            .startsWith(" 99%|###################.| 999B/1000B");
    }

    @Test
    void shouldComputeTheRemainingTimeFromTheRateAndFloorIt() {
        assertThat(line(4 * MIB, 10 * MIB, 2 * SECOND_NS, 2.0 * MIB))
            .isEqualTo(" 40%|########............| 4.0MiB/10.0MiB [00:02<00:03, 2.0MiB/s]");
        assertThat(line(4 * MIB, 10 * MIB, 2 * SECOND_NS, 2.4 * MIB)).as("2.5 s left")
            .isEqualTo(" 40%|########............| 4.0MiB/10.0MiB [00:02<00:02, 2.4MiB/s]");
        assertThat(line(4 * MIB, 10 * MIB, 2 * SECOND_NS - 1, 2.0 * MIB)).as("1.999 s elapsed")
            .contains("[00:01<00:03");
    }

    @Test
    void shouldShowHoursOnceATimeExceeds5959() {
        assertThat(duration(0)).isEqualTo("00:00");
        assertThat(duration(59)).isEqualTo("00:59");
        assertThat(duration(3599)).isEqualTo("59:59");
        assertThat(duration(3600)).isEqualTo("1:00:00");
        assertThat(duration(10 * 3600 + 61)).isEqualTo("10:01:01");
        // 1023 MiB left at 100 KiB/s: 10475.52 s.
        assertThat(line(MIB, GIB, 3600 * SECOND_NS, 100.0 * KIB))
            .isEqualTo("  0%|....................| 1.0MiB/1.0GiB [1:00:00<2:54:35, 100.0KiB/s]");
    }

    @Test
    void shouldDropTheBarWhenTheTotalIsUnknown() {
        assertThat(line(MIB + MIB / 2, 0, 3 * SECOND_NS, 512.0 * KIB)).isEqualTo("1.5MiB [00:03, 512.0KiB/s]");
        assertThat(line(MIB + MIB / 2, -1, 3 * SECOND_NS, 512.0 * KIB)).isEqualTo("1.5MiB [00:03, 512.0KiB/s]");
        assertThat(line(512, 0, SECOND_NS, UNKNOWN)).isEqualTo("512B [00:01, ?B/s]");
    }

    private static String line(final long bytes, final long total, final long elapsedNs, final double rate) {
        final StringBuilder sb = new StringBuilder();
        ProgressLine.append(sb, bytes, total, elapsedNs, rate);
        return sb.toString();
    }

    private static String size(final double bytes) {
        final StringBuilder sb = new StringBuilder();
        ProgressLine.appendSize(sb, bytes);
        return sb.toString();
    }

    private static String duration(final long seconds) {
        final StringBuilder sb = new StringBuilder();
        ProgressLine.appendDuration(sb, seconds);
        return sb.toString();
    }
}
