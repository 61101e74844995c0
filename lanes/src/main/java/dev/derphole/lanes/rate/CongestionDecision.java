package dev.derphole.lanes.rate;

/**
 * A controller's answer: how many bytes may be in flight, the pacing rate that spreads them over a round trip
 * (0 = unpaced), the burst the pacer may send back to back, and whether this update was a congestion event.
 * A mutable holder reused for every update.
 */
public final class CongestionDecision {
    /** Congestion window in bytes. */
    public long windowBytes;
    /** Pacing rate in bytes per second; 0 leaves sending unpaced. */
    public long pacingBytesPerSecond;
    /** Bytes the pacer may send at once. */
    public long burstBytes;
    /** This update reduced the window (loss or timeout). */
    public boolean congestionEvent;
}
