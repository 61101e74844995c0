package dev.derphole.session.token;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/** A clock tests move by hand. Not thread-safe; owned by the test thread. */
public final class MutableClock extends Clock {
    private Instant now;

    public MutableClock(final Instant start) {
        this.now = start;
    }

    public void advance(final Duration by) {
        now = now.plus(by);
    }

    public void set(final Instant instant) {
        now = instant;
    }

    @Override
    public Instant instant() {
        return now;
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(final ZoneId zone) {
        return this;
    }
}
