package dev.derphole.perf;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class ProcFsTest {
    private static final String STATUS = """
        Name:\tjava
        VmPeak:\t 9000000 kB
        VmHWM:\t  123456 kB
        VmRSS:\t   98765 kB
        Threads:\t42
        """;

    @Test
    void shouldReadKibibyteFieldsOfAStatusText() {
        assertThat(ProcFs.statusKb(STATUS, "VmRSS")).isEqualTo(98765);
        assertThat(ProcFs.statusKb(STATUS, "VmHWM")).isEqualTo(123456);
        assertThat(ProcFs.statusKb(STATUS, "Threads")).isEqualTo(42);
    }

    @Test
    void shouldSayUnknownForMissingOrBadFields() {
        assertThat(ProcFs.statusKb(STATUS, "VmSwap")).isEqualTo(ProcFs.UNKNOWN);
        assertThat(ProcFs.statusKb(STATUS, "Name")).isEqualTo(ProcFs.UNKNOWN);
        assertThat(ProcFs.statusKb(null, "VmRSS")).isEqualTo(ProcFs.UNKNOWN);
        // "VmRSSX" must not match "VmRSS".
        assertThat(ProcFs.statusKb("VmRSSX:\t5 kB\n", "VmRSS")).isEqualTo(ProcFs.UNKNOWN);
    }

    @Test
    void shouldReadThisProcessAndNotAGoneOne() {
        final long self = ProcessHandle.current().pid();
        assertThat(ProcFs.rssKb(self)).isPositive();
        assertThat(ProcFs.hwmKb(self)).isGreaterThanOrEqualTo(ProcFs.rssKb(self) / 2);
        assertThat(ProcFs.cpuNs(self)).isPositive();
        assertThat(ProcFs.rssKb(Long.MAX_VALUE)).isEqualTo(ProcFs.UNKNOWN);
        assertThat(ProcFs.cpuNs(Long.MAX_VALUE)).isEqualTo(ProcFs.UNKNOWN);
    }

    @Test
    void shouldTakeMinAndMaxOfSamplesInsideTheWindowOnly() {
        final List<RssSampler.Sample> samples = List.of(new RssSampler.Sample(0, 50), new RssSampler.Sample(10, 100),
            new RssSampler.Sample(20, 130), new RssSampler.Sample(30, ProcFs.UNKNOWN), new RssSampler.Sample(40, 90),
            new RssSampler.Sample(50, 500));
        final RssSampler.Range r = RssSampler.range(samples, 10, 40);
        assertThat(r).isEqualTo(new RssSampler.Range(90, 130));
        assertThat(r.growth()).isEqualTo(130.0 / 90);
        assertThat(RssSampler.range(samples, 60, 70)).isEqualTo(new RssSampler.Range(-1, -1));
        assertThat(RssSampler.range(samples, 60, 70).growth()).isZero();
    }
}
