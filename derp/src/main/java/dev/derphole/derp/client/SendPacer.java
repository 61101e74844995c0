package dev.derphole.derp.client;

/**
 * Token bucket that keeps our writes inside the rate a relay advertised in ServerInfo
 * ({@code TokenBucketBytesPerSecond}, {@code TokenBucketBytesBurst}), so that the relay never has to throttle us.
 * Kept as a theoretical arrival time in nanoseconds (GCRA): each frame costs {@code bytes / rate} seconds and may
 * go out up to one burst ahead of the schedule. Time is passed in, so tests drive it.
 * <p>
 * Owned by the writer thread; not thread-safe.
 */
final class SendPacer {
    private static final long NANOS_PER_SECOND = 1_000_000_000L;

    /** The bucket always holds at least one largest frame (5 + 32 + 64 KiB), or a big packet could never go. */
    static final long MIN_BURST_BYTES = 5 + 32 + (64 << 10);

    /**
     * Share of the advertised rate we use, in 1/16ths. The relay charges frames when it reads them, after network
     * and scheduling jitter have bunched them up; staying 1/16 below its rate lets its bucket refill in between.
     */
    static final int RATE_SIXTEENTHS = 15;

    /** Share of the advertised burst we use, in 1/16ths: the other half is headroom for that same bunching. */
    static final int BURST_SIXTEENTHS = 8;

    private final long bytesPerSecond;
    private final long burstNs;
    private long theoreticalNs;
    private boolean started;

    /**
     * @param bytesPerSecond advertised rate; 0 or less disables pacing
     * @param burstBytes     advertised burst; raised to {@link #MIN_BURST_BYTES}
     */
    SendPacer(final long bytesPerSecond, final long burstBytes) {
        this.bytesPerSecond = Math.max(0, bytesPerSecond);
        final long burst = Math.max(burstBytes, MIN_BURST_BYTES);
        burstNs = this.bytesPerSecond == 0 ? 0 : costNs(burst, this.bytesPerSecond);
    }

    /**
     * The pacer for a relay that advertised {@code bytesPerSecond} and {@code burstBytes} in ServerInfo: slightly
     * below both (see {@link #RATE_SIXTEENTHS}, {@link #BURST_SIXTEENTHS}), so that the relay never has to wait.
     */
    static SendPacer forRelay(final long bytesPerSecond, final long burstBytes) {
        if (bytesPerSecond <= 0) {
            return new SendPacer(0, 0);
        }
        return new SendPacer(Math.max(1, bytesPerSecond - bytesPerSecond / 16 * (16 - RATE_SIXTEENTHS)),
            burstBytes / 16 * BURST_SIXTEENTHS);
    }

    boolean enabled() {
        return bytesPerSecond > 0;
    }

    /**
     * How long to wait before sending a frame of {@code bytes} at {@code nowNs}; 0 means send now. Call
     * {@link #onSent} when it goes.
     */
    long delayNs(final int bytes, final long nowNs) {
        if (bytesPerSecond == 0) {
            return 0;
        }
        final long tat = started && theoreticalNs - nowNs > 0 ? theoreticalNs : nowNs;
        final long allowedAtNs = tat + costNs(bytes, bytesPerSecond) - burstNs;
        return Math.max(0, allowedAtNs - nowNs);
    }

    /** Books a frame of {@code bytes} sent at {@code nowNs}. */
    void onSent(final int bytes, final long nowNs) {
        if (bytesPerSecond == 0) {
            return;
        }
        final long tat = started && theoreticalNs - nowNs > 0 ? theoreticalNs : nowNs;
        theoreticalNs = tat + costNs(bytes, bytesPerSecond);
        started = true;
    }

    private static long costNs(final long bytes, final long bytesPerSecond) {
        // bytes ≤ 2^31 and NANOS_PER_SECOND < 2^30, so the product fits a long.
        return bytes * NANOS_PER_SECOND / bytesPerSecond;
    }
}
