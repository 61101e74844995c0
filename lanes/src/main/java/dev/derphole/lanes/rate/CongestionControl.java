package dev.derphole.lanes.rate;

/**
 * A congestion controller: a pure function from samples to decisions, plus its own state. Implementations
 * hold no clock, thread or I/O, so they are tested by feeding samples.
 */
public interface CongestionControl {
    /**
     * Starts over for a path: its datagram payload size (the window's unit) and initial window.
     *
     * @param segmentBytes        payload bytes of one full datagram
     * @param initialWindowBytes  window before any feedback
     */
    void reset(int segmentBytes, long initialWindowBytes, CongestionDecision out);

    /** Applies one sample and writes the new decision. */
    void update(CongestionSample sample, CongestionDecision out);
}
