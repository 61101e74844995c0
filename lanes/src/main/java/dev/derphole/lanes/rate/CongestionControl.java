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

    /**
     * The same path now carries datagrams of another size (its MTU was measured after promotion). A controller
     * keeps what it learned of the path that does not depend on the size; by default it starts over.
     */
    default void resize(final int segmentBytes, final long initialWindowBytes, final CongestionDecision out) {
        reset(segmentBytes, initialWindowBytes, out);
    }

    /** Applies one sample and writes the new decision. */
    void update(CongestionSample sample, CongestionDecision out);
}
