package dev.derphole.lanes.rate;

/**
 * What the sender learned since the last decision: bytes newly acknowledged and declared lost on the current
 * path, whether a retransmission timeout fired, RTT and flight size. A mutable holder filled by the engine
 * and reused for every update, so deciding allocates nothing.
 * <p>
 * Owned by the sender engine thread; not thread-safe.
 */
public final class CongestionSample {
    /** Clock reading for this sample. */
    public long nowNs;
    /** Bytes newly acknowledged on the current path. */
    public long ackedBytes;
    /** Bytes newly declared lost on the current path. */
    public long lostBytes;
    /** Send time of the newest packet among those lost, or -1. */
    public long largestLostSentNs = -1;
    /** A retransmission timeout fired. */
    public boolean rto;
    /** Timeouts in a row without the cumulative offset moving (2 or more: persistent congestion). */
    public int consecutiveTimeouts;
    /** Smoothed RTT, 0 when unknown. */
    public long smoothedRttNs;
    /** The latest RTT sample, 0 when unknown. */
    public long latestRttNs;
    /** Minimum RTT, 0 when unknown. */
    public long minRttNs;
    /** Bytes in flight on the current path after this sample. */
    public long bytesInFlight;
    /** The sender had nothing to send (source or credit), so acks say little about capacity. */
    public boolean appLimited;
    /** Delivery-rate sample: bytes the path delivered over {@link #deliveryIntervalNs} (0 = no sample). */
    public long deliveredBytes;
    /** The delivery-rate sample's interval in ns (about one round trip; 0 = no sample). */
    public long deliveryIntervalNs;
    /**
     * The first flight's packet train, once per path (the scoreboard's): bytes acknowledged after its first ACK
     * over {@link #trainIntervalNs}, the time to its last (0 = no sample).
     */
    public long trainBytes;
    /** The train's interval in ns (0 = no sample). */
    public long trainIntervalNs;
    /** Round trip of the packet the train's first ACK acknowledged, in ns (0 = no sample). */
    public long trainFirstRttNs;

    /** Clears the per-event fields (acked, lost, rto, the delivery-rate and train samples). */
    public void clearEvents() {
        ackedBytes = 0;
        deliveredBytes = 0;
        deliveryIntervalNs = 0;
        trainBytes = 0;
        trainIntervalNs = 0;
        trainFirstRttNs = 0;
        lostBytes = 0;
        largestLostSentNs = -1;
        rto = false;
    }
}
