package dev.derphole.lanes.rate;

/**
 * Token-bucket pacer in nanoseconds: tokens accrue at the configured rate up to the burst size; a datagram may
 * go when the bucket holds its size. Rate 0 disables pacing. The per-lane rate pacing of the direct path plugs
 * in here (one pacer per lane).
 * <p>
 * Owned by the sender engine thread; not thread-safe. No allocation.
 */
public final class Pacer {
    /**
     * Shortest wait, in ns of the rate: a sender that must wait waits until this much may go, then sends it at
     * once (one system call, one GSO message) instead of waking for every datagram. At the WAN lab's 25 MB/s one
     * datagram is 59 us of the rate; a wake-up per datagram cost the sender a send call per datagram and the
     * kernel its forwarding path per datagram.
     */
    static final long QUANTUM_NS = 250_000L;

    private long rateBytesPerSecond;
    private long burstBytes;
    private double tokens;
    private long lastNs;
    private boolean configured;

    /** Sets rate (bytes/s, 0 = unpaced) and burst (bytes). */
    public void configure(final long rateBytesPerSecond, final long burstBytes, final long nowNs) {
        refill(nowNs);
        this.rateBytesPerSecond = rateBytesPerSecond;
        this.burstBytes = Math.max(1, burstBytes);
        tokens = Math.min(tokens, this.burstBytes);
        if (rateBytesPerSecond == 0 || !configured) {
            tokens = this.burstBytes; // start with a full bucket
        }
        configured = true;
    }

    /**
     * Fills the bucket to the burst: a new path (or lane) has nothing in flight, so its first window may leave at
     * once, whatever the previous path's pacing left in the bucket.
     */
    public void fill(final long nowNs) {
        refill(nowNs);
        tokens = burstBytes;
    }

    /**
     * Nanoseconds to wait before sending {@code bytes}: 0 when they may go now, else until a quantum's worth may
     * ({@link #QUANTUM_NS} of the rate, at least {@code bytes}, at most the burst).
     */
    public long delayNs(final long nowNs, final int bytes) {
        if (rateBytesPerSecond == 0) {
            return 0;
        }
        refill(nowNs);
        final long size = Math.min(bytes, burstBytes);
        if (size <= tokens) {
            return 0;
        }
        final long quantum = Math.clamp(rateBytesPerSecond * QUANTUM_NS / 1_000_000_000L, size, burstBytes);
        return (long)Math.ceil((quantum - tokens) * 1e9 / rateBytesPerSecond);
    }

    /** Takes {@code bytes} of tokens (may go negative by up to one datagram). */
    public void onSent(final long nowNs, final int bytes) {
        if (rateBytesPerSecond == 0) {
            return;
        }
        refill(nowNs);
        tokens -= bytes;
    }

    public long rateBytesPerSecond() {
        return rateBytesPerSecond;
    }

    private void refill(final long nowNs) {
        if (lastNs != 0 && nowNs - lastNs <= 0) {
            // An older clock reading (the engine stamps ACKs with a fresher one than its cycle's): moving back
            // would credit the same interval twice.
            return;
        }
        if (lastNs != 0 && rateBytesPerSecond > 0) {
            tokens = Math.min(burstBytes, tokens + (nowNs - lastNs) * (double)rateBytesPerSecond / 1e9);
        }
        lastNs = nowNs;
    }
}
