package dev.derphole.session.payload;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeSet;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.derphole.testing.Fuzz;

/**
 * Header reading only ever returns a header or throws {@link PayloadException}: mutations and truncations of
 * valid headers (with the length prefix kept and repaired, so both the framing and the field checks are
 * reached), random bytes with and without the magic, and lying length prefixes. No case may allocate more than
 * the 1 MiB header bound, so a length is never trusted before it is checked.
 */
@Timeout(60)
class PayloadFuzzTest {
    /** Allowance on top of the header bound for parsing a small input and for the counter itself, bytes. */
    private static final long SLACK_BYTES = 64 * 1024;

    private static com.sun.management.ThreadMXBean threads;

    private final TreeSet<String> rejections = new TreeSet<>();
    private int accepted;

    @BeforeAll
    static void allocationCounter() {
        // Without per-thread counts the behaviour is still fuzzed; only the allocation bound is skipped.
        if (ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean bean
            && bean.isThreadAllocatedMemorySupported()) {
            bean.setThreadAllocatedMemoryEnabled(true);
            threads = bean;
        }
    }

    @Test
    void shouldSurviveMutationsOfValidHeaders() {
        final SplittableRandom random = new SplittableRandom(Fuzz.DEFAULT_SEED);
        for (final byte[] valid : samples()) {
            Fuzz.forAll(Fuzz.mutations(random.nextLong(), valid, 300), this::readAny);
        }
        assertThat(accepted).isPositive();
        assertThat(rejections).contains("not a derphole", "truncated payload header", "payload header too",
            "malformed payload header");
    }

    @Test
    void shouldSurviveJsonMutationsWithARepairedLength() {
        final SplittableRandom random = new SplittableRandom(Fuzz.DEFAULT_SEED + 1);
        for (final byte[] valid : samples()) {
            final byte[] json = Arrays.copyOfRange(valid, 13, valid.length);
            Fuzz.forAll(Fuzz.mutations(random.nextLong(), json, 300), m -> readAny(frame(m.length, m)));
        }
        assertThat(accepted).isPositive();
        assertThat(rejections).contains("malformed payload header", "unsupported payload kind",
            "unsupported payload header", "payload header for", "payload metadata is");
    }

    @Test
    void shouldRejectEveryTruncation() {
        for (final byte[] valid : samples()) {
            Fuzz.forAll(Fuzz.truncations(valid), this::readAny);
        }
        assertThat(accepted).isZero();
        assertThat(rejections).containsExactlyInAnyOrder("truncated payload header");
    }

    @Test
    void shouldRejectRandomBytesWithAndWithoutTheMagic() {
        Fuzz.forAll(Fuzz.randomBytes(Fuzz.DEFAULT_SEED + 2, 1000, 64), this::readAny);
        final List<byte[]> framed = new ArrayList<>();
        for (final byte[] b : Fuzz.randomBytes(Fuzz.DEFAULT_SEED + 3, 1000, 64)) {
            framed.add(ByteBuffer.allocate(9 + b.length).put(magic()).put(b).array());
        }
        Fuzz.forAll(framed, this::readAny);
        assertThat(accepted).isZero();
        assertThat(rejections).contains("not a derphole", "truncated payload header", "payload header too");
    }

    @Test
    void shouldNeverTrustALengthPrefix() {
        final SplittableRandom random = new SplittableRandom(Fuzz.DEFAULT_SEED + 4);
        final List<byte[]> lies = new ArrayList<>();
        final long max = PayloadHeaders.MAX_HEADER_BYTES;
        for (int i = 0; i < 500; i++) {
            // Half above the limit (rejected before reading), half within it but longer than what follows.
            final int length = i % 2 == 0
                ? (int)random.nextLong(max + 1, 0x1_0000_0000L)
                : (int)random.nextLong(100, max + 1);
            lies.add(frame(length, "{\"version\":1,\"kind\":\"text\"}".getBytes(StandardCharsets.UTF_8)));
        }
        Fuzz.forAll(lies, this::readAny);
        assertThat(accepted).isZero();
        assertThat(rejections).containsExactlyInAnyOrder("payload header too", "truncated payload header");
    }

    private void readAny(final byte[] input) {
        final long before = allocatedBytes();
        try {
            PayloadHeaders.read(new ByteArrayInputStream(input));
            accepted++;
        } catch (final PayloadException e) {
            assertThat(e.getMessage()).isNotBlank().doesNotContain("\n");
            rejections.add(head(e.getMessage()));
        } catch (final IOException e) {
            fail("a byte array cannot fail", e);
        }
        final long allocated = allocatedBytes() - before;
        assertThat(allocated).as("bytes allocated reading %d input bytes", input.length)
            .isLessThan(PayloadHeaders.MAX_HEADER_BYTES + SLACK_BYTES);
    }

    private static long allocatedBytes() {
        return threads == null ? 0 : threads.getThreadAllocatedBytes(Thread.currentThread().threadId());
    }

    /** Up to three words before any quote or colon: enough to tell the checks apart without the peer's text. */
    private static String head(final String message) {
        final String text = message.split("[\":]", 2)[0].strip();
        final String[] words = text.split(" ", 4);
        return String.join(" ", Arrays.copyOf(words, Math.min(3, words.length)));
    }

    private static List<byte[]> samples() {
        final String code = VerifyCode.of("token");
        return List.of(
            PayloadHeaders.encode(PayloadHeader.of(PayloadKind.TEXT)),
            PayloadHeaders.encode(PayloadHeader.of(PayloadKind.SSH_INVITE).withVerify(code)),
            PayloadHeaders.encode(PayloadHeader.file("r\u00e9sum\u00e9 \"v2\" <final>.pdf", 1 << 20).withVerify(code)),
            PayloadHeaders.encode(PayloadHeader.directory("photos", 123_456_789, new DirectoryMetadata(42, 99_999))
                .withVerify(code)));
    }

    private static byte[] frame(final int length, final byte[] json) {
        return ByteBuffer.allocate(13 + json.length).put(magic()).putInt(length).put(json).array();
    }

    private static byte[] magic() {
        return "DERPHOLE1".getBytes(StandardCharsets.US_ASCII);
    }
}
