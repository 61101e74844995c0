package dev.derphole.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * Seeded fuzzing for parsers of network bytes and user input: random inputs, and truncations and
 * mutations of valid samples. Every run is reproducible from the seed printed on failure.
 * <p>
 * The contract a parser test asserts is: for any input the parser either returns or throws its own
 * declared exception, and it returns promptly (callers wrap runs in a JUnit {@code @Timeout}).
 */
public final class Fuzz {
    /** Default seed; override with {@code -Dderphole.fuzz.seed=N} to explore further. */
    public static final long DEFAULT_SEED = Long.getLong("derphole.fuzz.seed", 0x5EED_D3E9L);

    private Fuzz() {
    }

    /** {@code count} random byte arrays of length 0..maxLength. */
    public static List<byte[]> randomBytes(final long seed, final int count, final int maxLength) {
        final SplittableRandom random = new SplittableRandom(seed);
        final List<byte[]> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            final byte[] b = new byte[random.nextInt(maxLength + 1)];
            random.nextBytes(b);
            out.add(b);
        }
        return out;
    }

    /** Every prefix of {@code valid} (all truncations, including empty). */
    public static List<byte[]> truncations(final byte[] valid) {
        final List<byte[]> out = new ArrayList<>(valid.length + 1);
        for (int len = 0; len < valid.length; len++) {
            out.add(java.util.Arrays.copyOf(valid, len));
        }
        return out;
    }

    /**
     * {@code count} mutants of {@code valid}, each different from it: flipped bits, overwritten bytes with interesting
     * values
     * (0, 0xff, 0x7f, 0x80), inserted and deleted runs, and duplicated slices.
     */
    public static List<byte[]> mutations(final long seed, final byte[] valid, final int count) {
        final SplittableRandom random = new SplittableRandom(seed);
        final List<byte[]> out = new ArrayList<>(count);
        final byte[] interesting = {0, (byte)0xff, 0x7f, (byte)0x80, 1, '"', '{', '}', '[', ']', ':', ',', '\\'};
        for (int i = 0; i < count; i++) {
            byte[] b = valid.clone();
            final int edits = 1 + random.nextInt(4);
            for (int e = 0; e < edits; e++) {
                b = mutateOnce(random, b, interesting);
            }
            if (java.util.Arrays.equals(b, valid)) {
                // An edit can write a byte's own value back; a mutant must differ from the valid input.
                b[random.nextInt(b.length)] ^= (byte)(1 + random.nextInt(255));
            }
            out.add(b);
        }
        return out;
    }

    /** Runs {@code check} on every input; on failure rethrows with the failing input's index and hex. */
    public static void forAll(final List<byte[]> inputs, final Consumer<byte[]> check) {
        for (int i = 0; i < inputs.size(); i++) {
            final byte[] input = inputs.get(i);
            try {
                check.accept(input);
            } catch (final RuntimeException | AssertionError e) {
                throw new AssertionError("fuzz input #" + i + " (" + input.length + " bytes): "
                    + java.util.HexFormat.of().formatHex(input, 0, Math.min(input.length, 256)), e);
            }
        }
    }

    private static byte[] mutateOnce(final SplittableRandom random, final byte[] b, final byte[] interesting) {
        final int kind = random.nextInt(5);
        if (b.length == 0) {
            return new byte[] {interesting[random.nextInt(interesting.length)]};
        }
        final int at = random.nextInt(b.length);
        switch (kind) {
            case 0 -> {
                b[at] ^= (byte)(1 << random.nextInt(8));
                return b;
            }
            case 1 -> {
                b[at] = interesting[random.nextInt(interesting.length)];
                return b;
            }
            case 2 -> {
                final int n = 1 + random.nextInt(Math.min(16, b.length - at));
                final byte[] out = new byte[b.length - n];
                System.arraycopy(b, 0, out, 0, at);
                System.arraycopy(b, at + n, out, at, b.length - at - n);
                return out;
            }
            case 3 -> {
                final int n = 1 + random.nextInt(16);
                final byte[] out = new byte[b.length + n];
                System.arraycopy(b, 0, out, 0, at);
                for (int i = 0; i < n; i++) {
                    out[at + i] = (byte)random.nextInt(256);
                }
                System.arraycopy(b, at, out, at + n, b.length - at);
                return out;
            }
            default -> {
                final int n = 1 + random.nextInt(Math.min(32, b.length - at));
                final byte[] out = new byte[b.length + n];
                System.arraycopy(b, 0, out, 0, at + n);
                System.arraycopy(b, at, out, at + n, b.length - at);
                return out;
            }
        }
    }
}
