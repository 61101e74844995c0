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
 * {@link #ROUNDS} small packets instead costs ~0.3 CPU seconds, and it runs on its own thread while the
 * session still connects to the relay and waits for the claim.
 * <p>
 * Uses a throwaway random key and its own {@link PacketCodec}s; nothing of it leaves the process.
 * Thread-safe: {@link #startInBackground()} starts the warm-up once per process.
 */
public final class CodecWarmup
{
    /** Seal+open rounds: above C2's default invocation threshold (5,000), with room for its load scaling. */
    public static final int ROUNDS = 8_000;
    /** Body bytes per packet: the JDK takes its intrinsic path from 512 bytes (GaloisCounterMode.PARALLEL_LEN). */
    public static final int BODY_BYTES = 1024;

    private static final AtomicReference<Thread> STARTED = new AtomicReference<>();

    private CodecWarmup()
    {
    }

    /** Starts the warm-up on a daemon thread, once per process; later calls return the same thread. */
    public static Thread startInBackground()
    {
        final Thread existing = STARTED.get();
        if (existing != null)
        {
            return existing;
        }
        final Thread thread = Thread.ofPlatform().daemon().name("derphole-crypto-warmup").unstarted(() -> run(ROUNDS));
        if (STARTED.compareAndSet(null, thread))
        {
            thread.start();
            return thread;
        }
        return STARTED.get();
    }

    /**
     * Seals {@code rounds} DATA packets of {@link #BODY_BYTES} and opens each on a second codec, on the calling
     * thread.
     *
     * @return packets that opened with the expected length (all of them, unless the JDK's AES-GCM is broken)
     */
    public static int run(final int rounds)
    {
        final SecureRandom random = new SecureRandom();
        final byte[] key = new byte[32];
        random.nextBytes(key);
        final int prefix = random.nextInt();
        final StreamCounters counters = new StreamCounters();
        final PacketCodec sealer = new PacketCodec(key, prefix, key, ~prefix, counters);
        final PacketCodec opener = new PacketCodec(key, ~prefix, key, prefix, counters);
        final byte[] packet = new byte[WireFormat.HEADER_LENGTH + BODY_BYTES + WireFormat.PACKET_OVERHEAD];
        final byte[] body = new byte[BODY_BYTES];
        int opened = 0;
        for (int i = 0; i < rounds; i++)
        {
            final int length = sealer.seal(PacketType.DATA, packet, BODY_BYTES);
            if (opener.open(packet, 0, length, body) == BODY_BYTES)
            {
                opened++;
            }
        }
        return opened;
    }
}
