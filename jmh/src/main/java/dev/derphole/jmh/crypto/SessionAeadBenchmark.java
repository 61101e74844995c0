package dev.derphole.jmh.crypto;

import java.util.SplittableRandom;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import dev.derphole.jmh.HotPathBenchmark;
import dev.derphole.crypto.SessionAead;
import dev.derphole.lanes.wire.CodecWarmup;

/**
 * {@link SessionAead} on its own: AES-256-GCM seal and open of one body into caller buffers, with the 5-byte
 * AAD the stream header uses. The lanes {@code PacketCodec} adds a header, a replay check and counters on top
 * (see {@code dev.derphole.jmh.lanes.PacketCodecBenchmark}).
 * <p>
 * {@link #open} cycles through {@link #BATCH} packets sealed in setup (an opener keeps no replay state, so the
 * same packets open again and again); {@link #seal} seals in place, so each call encrypts new bytes under a
 * new packet number.
 */
@State(Scope.Thread)
public class SessionAeadBenchmark extends HotPathBenchmark {
    /** Distinct sealed packets {@link #open} cycles through (a power of two). */
    private static final int BATCH = 16;
    private static final int AAD_LENGTH = 5;

    /** Body bytes: a 1,400 B direct-path payload, 8 KiB, and a ~60 KiB relay datagram. */
    @Param({"1400", "8192", "61440"})
    public int bodyLength;

    private SessionAead sealer;
    private SessionAead opener;
    private long nextSealed;
    private byte[] aad;
    private byte[] body;
    private byte[][] sealed;
    private long[] sealedNumbers;
    private byte[] plain;
    private int nextOpen;

    @Setup
    public void setUp() {
        warmUpLikeTheProduct();
        final SplittableRandom random = new SplittableRandom(4);
        final byte[] key = bytes(random, SessionAead.KEY_LENGTH);
        sealer = SessionAead.sealer(key, 0x1234_5678);
        opener = SessionAead.opener(key, 0x1234_5678);
        aad = bytes(random, AAD_LENGTH);
        body = bytes(random, bodyLength + SessionAead.TAG_LENGTH);
        sealed = new byte[BATCH][];
        sealedNumbers = new long[BATCH];
        final SessionAead batchSealer = SessionAead.sealer(key, 0x1234_5678);
        for (int i = 0; i < BATCH; i++) {
            sealed[i] = bytes(random, bodyLength + SessionAead.TAG_LENGTH);
            sealedNumbers[i] = 1_000_000L + i;
            batchSealer.seal(sealedNumbers[i], aad, 0, AAD_LENGTH, sealed[i], 0, bodyLength, sealed[i], 0);
        }
        plain = new byte[bodyLength];
    }

    /** Seals the body in place under the next packet number. */
    @Benchmark
    public int seal() {
        return sealer.seal(nextSealed++, aad, 0, AAD_LENGTH, body, 0, bodyLength, body, 0);
    }

    /** Opens (decrypts and verifies) one of the pre-sealed packets into a separate buffer. */
    @Benchmark
    public int open() {
        final int i = nextOpen++ & (BATCH - 1);
        final int n = opener.open(
            sealedNumbers[i], aad, 0, AAD_LENGTH, sealed[i], 0, bodyLength + SessionAead.TAG_LENGTH, plain, 0);
        if (n != bodyLength) {
            throw new IllegalStateException("tag did not verify");
        }
        return n + plain[i];
    }

    private static byte[] bytes(final SplittableRandom random, final int length) {
        final byte[] b = new byte[length];
        random.nextBytes(b);
        return b;
    }

    /**
     * Runs {@link CodecWarmup} as a session does before its first packet. Without it the ~60 KiB case measures
     * the interpreter: the JDK's AES-GCM intrinsic is only used from C2-compiled callers, and at ~1,000 calls/s
     * JMH's warm-up takes 3-4 s to get there (measured: 965 ops/s in the first second, 143,000 from the third).
     */
    private static void warmUpLikeTheProduct() {
        if (CodecWarmup.run(CodecWarmup.ROUNDS) != CodecWarmup.ROUNDS) {
            throw new IllegalStateException("AES-GCM warm-up failed");
        }
    }
}
