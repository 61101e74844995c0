package dev.derphole.lanes.wire;

import java.security.SecureRandom;
import java.util.concurrent.atomic.AtomicReference;

import dev.derphole.lanes.engine.StreamCounters;

/**
 * Gets the JIT to compile the AES-GCM packet path with the JDK's intrinsics before the first real packet.
 * <p>
 * Why: the JDK only uses its AES-GCM intrinsic ({@code GaloisCounterMode.implGCMCrypt0}) once the calling
 * code is C2-compiled, which takes about 5,000 calls (C2's invocation threshold). Until then GHASH and the
 * counter mode run as interpreted or C1 Java at 70-400 MB/s instead of several GB/s. A stream of 60 KiB
 * relay datagrams makes only ~17,000 calls per GiB, so without this the first ~300 MiB of every transfer
 * went through the slow path: ~1.5 CPU seconds per side (measured, Temurin 25, see
 * docs/benchmarks-transfer.md), and a receiver that falls behind and drops datagrams. Sealing and opening
 * {@link #ROUNDS} mostly small packets instead costs ~0.1 CPU seconds (measured), on its own thread while
 * the session still connects to the relay and waits for the claim.
 * <p>
 * The packet sizes mimic real traffic, because C2 compiles for the branches its profile saw and throws the
 * code away ("unstable if" deoptimization, then a slow re-warm) when real packets take another one: bodies
 * below the intrinsic's 512 bytes (ACKs) or empty (HEARTBEAT, CLOSE), lengths that are not whole AES blocks
 * (DATA payloads), and now and then one long enough to carry the counter's low byte over (over 256 blocks).
 * <p>
 * Uses a throwaway random key and its own {@link PacketCodec}s; nothing of it leaves the process.
 * Thread-safe: {@link #startInBackground()} starts the warm-up once per process.
 */
public final class CodecWarmup {
    /** Seal+open rounds: above C2's default invocation threshold (5,000), with room for its load scaling. */
    public static final int ROUNDS = 8_000;
    /** Usual body: above the 512 bytes from which the JDK takes its intrinsic path, not whole AES blocks. */
    static final int MEDIUM_BODY_BYTES = 1_031;
    /** Every {@link #SMALL_EVERY}th body: an ACK-sized one, below the intrinsic's threshold. */
    static final int SMALL_BODY_BYTES = 57;
    static final int SMALL_EVERY = 4;
    /** Every {@link #LARGE_EVERY}th body: 517 AES blocks, so the GCM counter's low byte wraps. */
    static final int LARGE_BODY_BYTES = 8_269;
    static final int LARGE_EVERY = 16;

    private static final AtomicReference<Thread> STARTED = new AtomicReference<>();

    private CodecWarmup() {
    }

    /** Starts the warm-up on a daemon thread, once per process; later calls return the same thread. */
    public static Thread startInBackground() {
        final Thread existing = STARTED.get();
        if (existing != null) {
            return existing;
        }
        final Thread thread = Thread.ofPlatform().daemon().name("derphole-crypto-warmup").unstarted(() -> run(ROUNDS));
        if (STARTED.compareAndSet(null, thread)) {
            thread.start();
            return thread;
        }
        return STARTED.get();
    }

    /**
     * Seals {@code rounds} DATA packets (sizes as in the class comment) and opens each on a second codec, on the
     * calling thread.
     *
     * @return packets that opened with the expected length (all of them, unless the JDK's AES-GCM is broken)
     */
    public static int run(final int rounds) {
        final SecureRandom random = new SecureRandom();
        final byte[] key = new byte[32];
        random.nextBytes(key);
        final int prefix = random.nextInt();
        final StreamCounters counters = new StreamCounters();
        final PacketCodec sealer = new PacketCodec(key, prefix, key, ~prefix, counters);
        final PacketCodec opener = new PacketCodec(key, ~prefix, key, prefix, counters);
        final byte[] packet = new byte[LARGE_BODY_BYTES + WireFormat.PACKET_OVERHEAD];
        final byte[] body = new byte[LARGE_BODY_BYTES];
        int opened = 0;
        for (int i = 1; i <= rounds; i++) {
            final int bodyLength = bodyLength(i);
            final int length = sealer.seal(PacketType.DATA, packet, bodyLength);
            if (opener.open(packet, 0, length, body) == bodyLength) {
                opened++;
            }
        }
        return opened;
    }

    /** Body length of round {@code i} (from 1). */
    static int bodyLength(final int i) {
        if (i % LARGE_EVERY == 0) {
            return LARGE_BODY_BYTES;
        }
        if (i % LARGE_EVERY == LARGE_EVERY / 2) {
            return 0; // HEARTBEAT, CLOSE
        }
        return i % SMALL_EVERY == 0 ? SMALL_BODY_BYTES : MEDIUM_BODY_BYTES;
    }
}
