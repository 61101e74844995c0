package dev.derphole.perf;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.derphole.derp.json.JsonReader;
import dev.derphole.derp.json.JsonWriter;

@Timeout(10)
class GateTest {
    private final BenchOptions options = BenchOptions.parse("--out", "d", "--repeat", "3");

    /** A run delivering {@code mbPerS} over one second with the given relay RSS window. */
    private static ResultRow row(
        final int rep, final String system, final String variant, final int pairs, final int size,
        final double mbPerS, final long lost, final long rssMinKb, final long rssMaxKb) {
        final long bytes = Math.round(mbPerS * 1e6);
        final long delivered = bytes / size;
        return new ResultRow(rep, system, variant, pairs, size, 1.0,
            new Totals(delivered + lost, delivered, bytes, lost, 0), 0.5, 0.9, 60_000, rssMinKb, rssMaxKb, rssMaxKb,
            rssMaxKb, "");
    }

    private List<ResultRow> matrix(final double derp16k, final long rssMaxKb) {
        final List<ResultRow> rows = new ArrayList<>();
        for (int rep = 1; rep <= 3; rep++) {
            for (final int pairs : new int[] {1, 50}) {
                for (final int size : new int[] {1200, 16384}) {
                    // The median must be what counts: one wild run each way.
                    final double noise = rep == 1 ? 0.5 : rep == 2 ? 2.0 : 1.0;
                    rows.add(row(rep, "derp", "q32", pairs, size, (size == 16384 ? derp16k : 300) * noise, 100,
                        100_000, rssMaxKb));
                    rows.add(row(rep, "socat", "b8192", pairs, size, 1000 * noise, 0, 5_000, 5_000));
                }
            }
        }
        return rows;
    }

    @Test
    void shouldPassWhenTheRelayKeepsUpAndMemoryIsFlat() {
        final List<ResultRow> rows = matrix(850, 120_000);
        final List<Summary> summaries = Summary.of(rows);
        final List<Gate.Check> checks = Gate.evaluate(options, rows, summaries);
        assertThat(checks).allMatch(Gate.Check::pass);
        assertThat(Gate.passed(checks)).isTrue();
        assertThat(checks).extracting(Gate.Check::name).contains("throughput/1-pairs/16384B",
            "throughput/50-pairs/16384B", "rss-flat/q32/50-pairs/16384B", "integrity");
        final Gate.Check t = checks.getFirst();
        assertThat(t.value()).isCloseTo(0.85, org.assertj.core.data.Offset.offset(1e-9));
    }

    @Test
    void shouldFailBelowTheRatioOrWhenMemoryGrows() {
        final List<ResultRow> slow = matrix(700, 120_000);
        final List<Gate.Check> a = Gate.evaluate(options, slow, Summary.of(slow));
        assertThat(Gate.passed(a)).isFalse();
        assertThat(a).filteredOn(c -> !c.pass()).extracting(Gate.Check::name)
            .containsExactly("throughput/1-pairs/16384B", "throughput/50-pairs/16384B");

        final List<ResultRow> growing = matrix(900, 160_000);
        final List<Gate.Check> b = Gate.evaluate(options, growing, Summary.of(growing));
        assertThat(b).filteredOn(c -> !c.pass()).extracting(Gate.Check::name).hasSize(4)
            .allMatch(n -> n.startsWith("rss-flat/"));
    }

    @Test
    void shouldFailOnMissingDataFailedRunsOrTcpLoss() {
        final List<ResultRow> rows = new ArrayList<>(matrix(900, 100_000));
        rows.removeIf(r -> r.system().equals("socat") && r.pairs() == 50);
        rows.add(ResultRow.failed(1, "socat", "b8192", 50, 16384, "socat: not found"));
        rows.add(row(1, "socat", "b8192", 1, 16384, 1000, 3, 5000, 5000));
        final List<Gate.Check> checks = Gate.evaluate(options, rows, Summary.of(rows));
        assertThat(checks).filteredOn(c -> !c.pass()).extracting(Gate.Check::name)
            .containsExactly("throughput/50-pairs/16384B", "integrity");
        assertThat(checks.getLast().detail()).contains("1 failed runs").contains("3 packets lost");
        assertThat(Gate.passed(List.of())).isFalse();
    }

    @Test
    void shouldWriteADecisionThatReadsBackAsJson() throws Exception {
        final List<ResultRow> rows = matrix(850, 120_000);
        final List<Summary> summaries = Summary.of(rows);
        final List<Gate.Check> checks = Gate.evaluate(options, rows, summaries);
        final String json = JsonWriter.writePretty(Gate.decision(options, checks, summaries,
            Map.of("commit", "abc")));
        @SuppressWarnings("unchecked")
        final Map<String, Object> back = (Map<String, Object>)JsonReader.parse(json);
        assertThat(back).containsEntry("verdict", "pass").containsEntry("commit", "abc");
        assertThat((List<?>)back.get("checks")).hasSize(checks.size());
        assertThat((List<?>)back.get("summary")).hasSize(8);
    }

    @Test
    void shouldSummariseMediansPerConfigurationAndRenderThem() {
        final List<ResultRow> rows = matrix(850, 120_000);
        final List<Summary> summaries = Summary.of(rows);
        assertThat(summaries).hasSize(8);
        final Summary derp = Summary.find(summaries, "derp", "q32", 50, 16384);
        assertThat(derp.runs()).isEqualTo(3);
        assertThat(derp.mbPerS()).isCloseTo(850, org.assertj.core.data.Offset.offset(0.01));
        assertThat(derp.rssMinKb()).isEqualTo(100_000);
        assertThat(derp.worstRssGrowth()).isEqualTo(1.2);
        // 850 MB/s for 0.5 CPU-s in a 1 s window: 1700 MB per CPU-second.
        assertThat(derp.mbPerCpuS()).isCloseTo(1700, org.assertj.core.data.Offset.offset(0.01));
        assertThat(Summary.find(summaries, "socat", null, 50, 16384).variant()).isEqualTo("b8192");
        assertThat(Summary.find(summaries, "java", null, 50, 16384)).isNull();

        final String table = Table.render(summaries, "socat", Gate.evaluate(options, rows, summaries));
        assertThat(table).contains("| derp | q32 | 50 | 16384 | 3 |").contains("0.85x").contains("verdict: pass");
    }

    @Test
    void shouldWriteOneCsvFieldPerHeaderColumn() {
        final ResultRow ok = row(1, "derp", "q32", 1, 1200, 360, 10, 1, 2);
        final ResultRow bad = ResultRow.failed(2, "socat", "b8192", 50, 1200, "socat, \"gone\"\nreally");
        final int columns = ResultRow.CSV_HEADER.split(",").length;
        assertThat(ok.toCsv().split(",", -1)).hasSize(columns);
        assertThat(bad.toCsv().split(",", -1)).hasSize(columns);
        assertThat(bad.toCsv()).doesNotContain("\n").endsWith("socat; 'gone' really");
        assertThat(ok.toCsv()).startsWith("1,derp,q32,1,1200,1.000,");
    }
}
