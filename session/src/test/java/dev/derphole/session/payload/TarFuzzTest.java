package dev.derphole.session.payload;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import dev.derphole.testing.Fuzz;

/**
 * Seeded mutations and truncations of valid tar streams: extraction either succeeds or throws
 * {@link TarException}, never anything else, and afterwards the sandbox holds the destination (on success)
 * and nothing else: no temporary tree, nothing written beside or above it.
 */
@Timeout(180)
class TarFuzzTest {
    /** Header fields worth aiming at: offset and length within the header block. */
    private static final int[][] FIELDS = {{0, 100}, {100, 8}, {124, 12}, {136, 12}, {156, 1}, {257, 8},
        {345, 155}};
    private static final String[] NAMES = {"../", "/", "..", ".", "a/../../x", "/etc/passwd", "t/", "t/x",
        "t/sub/", "u/", "t//x", "\u00e9", "t/\u0000x"};
    private static final byte[] TYPES = {'0', '1', '2', '3', '4', '5', '6', '7', 'x', 'g', 'L', 'K', 'S', 0, 'Z'};

    @TempDir
    Path tmp;

    private Path sandbox;
    private Path parent;
    private final Map<TarException.Kind, Integer> kinds = new EnumMap<>(TarException.Kind.class);
    private int successes;

    @BeforeEach
    void createSandbox() throws IOException {
        sandbox = Files.createDirectory(tmp.resolve("sandbox"));
        parent = Files.createDirectory(sandbox.resolve("parent"));
    }

    @Test
    void shouldSurviveRandomMutationsOfOurOwnStream() throws Exception {
        final byte[] valid = sample();
        extractExpecting(valid, true);
        final SplittableRandom random = new SplittableRandom(Fuzz.DEFAULT_SEED);
        Fuzz.forAll(Fuzz.mutations(random.nextLong(), valid, 1200), this::extractAny);
        // Repaired checksums let the mutation reach the field, name and type checks behind the checksum.
        final List<byte[]> repaired = new ArrayList<>();
        for (final byte[] m : Fuzz.mutations(random.nextLong(), valid, 1200)) {
            repaired.add(resealAll(m));
        }
        Fuzz.forAll(repaired, this::extractAny);
        assertThat(kinds).containsKeys(TarException.Kind.MALFORMED, TarException.Kind.UNSAFE);
    }

    @Test
    void shouldSurviveTargetedHeaderFieldMutations() throws Exception {
        final byte[] valid = sample();
        final List<Integer> headers = headerOffsets(valid);
        final SplittableRandom random = new SplittableRandom(Fuzz.DEFAULT_SEED + 1);
        final List<byte[]> mutants = new ArrayList<>();
        for (int i = 0; i < 1500; i++) {
            final byte[] m = valid.clone();
            final int header = headers.get(random.nextInt(headers.size()));
            final int[] field = FIELDS[random.nextInt(FIELDS.length)];
            overwrite(random, m, header + field[0], field[1]);
            if (random.nextInt(8) != 0) {
                TarBuilder.seal(m, header);
            }
            mutants.add(m);
        }
        Fuzz.forAll(mutants, this::extractAny);
        assertThat(kinds).containsKeys(TarException.Kind.MALFORMED, TarException.Kind.UNSAFE);
        assertThat(successes).isPositive();
    }

    @Test
    void shouldRefuseEveryTruncation() throws Exception {
        final byte[] valid = sample();
        final List<byte[]> cuts = new ArrayList<>();
        for (int length = 0; length < valid.length; length += 13) {
            cuts.add(Arrays.copyOf(valid, length));
        }
        Fuzz.forAll(cuts, m -> extractExpecting(m, false));
    }

    /** A small tree with a pax long name, an empty file, a nested directory and a file spanning blocks. */
    private byte[] sample() throws IOException, TarException {
        final Path top = tmp.resolve("src/t");
        Trees.write(top.resolve("a.txt"), "alpha");
        Trees.write(top.resolve("sub/" + "n".repeat(110)), "long name");
        Files.createFile(top.resolve("sub/empty"));
        Trees.write(top.resolve("sub/deeper/big.txt"), "b".repeat(700));
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        TarWriter.write(TarPlan.of(top), out);
        return out.toByteArray();
    }

    private void extractAny(final byte[] tar) {
        extractExpecting(tar, null);
    }

    /** Extracts; {@code success} null accepts either outcome. Checks the sandbox afterwards either way. */
    private void extractExpecting(final byte[] tar, final Boolean success) {
        final Path dest = parent.resolve("out");
        boolean extracted = false;
        try {
            TarExtractor.extract(new ByteArrayInputStream(tar), dest);
            extracted = true;
            successes++;
        } catch (final TarException e) {
            kinds.merge(e.kind(), 1, Integer::sum);
        } catch (final IOException e) {
            throw new AssertionError("an in-memory stream cannot fail, yet got " + e, e);
        }
        try {
            if (success != null) {
                assertThat(extracted).as("extraction succeeded").isEqualTo(success);
            }
            assertThat(Trees.list(sandbox)).containsExactly("parent");
            if (extracted) {
                assertThat(Trees.list(parent)).containsExactly("out");
                assertThat(Files.isDirectory(dest)).isTrue();
                Trees.delete(dest);
            }
            assertThat(Trees.list(parent)).as("left in the parent directory").isEmpty();
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Overwrites a field with something a parser must handle: names, digits, types, high bytes. */
    private static void overwrite(final SplittableRandom random, final byte[] b, final int offset, final int length) {
        final byte[] value = switch (random.nextInt(5)) {
            case 0 -> NAMES[random.nextInt(NAMES.length)].getBytes(StandardCharsets.UTF_8);
            case 1 -> Long.toOctalString(random.nextLong() >>> random.nextInt(64)).getBytes(StandardCharsets.US_ASCII);
            case 2 -> new byte[] {TYPES[random.nextInt(TYPES.length)]};
            case 3 -> {
                final byte[] r = new byte[1 + random.nextInt(length)];
                random.nextBytes(r);
                yield r;
            }
            default -> new byte[] {(byte)0x80, 0, 0, 0, 0, 0, 0, (byte)random.nextInt(256)};
        };
        Arrays.fill(b, offset, offset + length, (byte)0);
        System.arraycopy(value, 0, b, offset, Math.min(length, value.length));
    }

    /** Offsets of the header blocks of a valid stream (blocks with the ustar magic). */
    private static List<Integer> headerOffsets(final byte[] tar) {
        final List<Integer> out = new ArrayList<>();
        for (int at = 0; at + 512 <= tar.length; at += 512) {
            if (tar[at + 257] == 'u' && tar[at + 258] == 's' && tar[at + 259] == 't') {
                out.add(at);
            }
        }
        return out;
    }

    /** Recomputes the checksum of every 512-aligned block that still looks like a header. */
    private static byte[] resealAll(final byte[] tar) {
        for (final int at : headerOffsets(tar)) {
            TarBuilder.seal(tar, at);
        }
        return tar;
    }
}
