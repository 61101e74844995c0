package dev.derphole.lanes.testing;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.PriorityQueue;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

import dev.derphole.udp.PacketPath;

/**
 * Two in-memory {@link PacketPath}s connected to each other ({@link #a()} ↔ {@link #b()}) with seeded
 * impairments per direction: loss, reordering (each datagram is held back until 0 to {@code reorderDepth}
 * later datagrams have passed it, chosen uniformly, so no datagram is overtaken by more than
 * {@code reorderDepth} others, nor held more than 0.5 ms), duplication, fixed delay, a bandwidth
 * cap with a bounded bottleneck queue (tail drop), an instant blackhole and a "blackhole after N more packets"
 * switch, and failure ({@code send} throws). Without delay, cap or reordering, datagrams are handed to the
 * peer's handler synchronously inside {@code send}; otherwise one delivery thread per direction does it.
 * <p>
 * For tests; thread-safe. Close it to stop the delivery threads.
 */
public final class LossyPathPair implements AutoCloseable {
    /** Longest a datagram is held back for reordering, however few others pass it. */
    private static final long MAX_HOLD_NS = TimeUnit.MICROSECONDS.toNanos(500);

    private final Link aToB;
    private final Link bToA;
    private final End a;
    private final End b;

    private LossyPathPair(final Builder builder) {
        a = new End(builder.name, builder.maxDatagram, builder.rttHint.toNanos(), builder.lossIsCongestion);
        b = new End(builder.name, builder.maxDatagram, builder.rttHint.toNanos(), builder.lossIsCongestion);
        aToB = new Link(builder, builder.seed, b);
        bToA = new Link(builder, builder.seed * 31 + 17, a);
        a.out = aToB;
        b.out = bToA;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** One end (typically the sender's). */
    public PacketPath a() {
        return a;
    }

    /** The other end. */
    public PacketPath b() {
        return b;
    }

    /** Drops everything in both directions from now on (or stops dropping). */
    public void blackhole(final boolean on) {
        aToB.blackholed = on;
        bToA.blackholed = on;
    }

    /** Each direction delivers (subject to loss) {@code packets} more datagrams, then drops everything. */
    public void blackholeAfter(final long packets) {
        aToB.remainingBeforeBlackhole.set(packets);
        bToA.remainingBeforeBlackhole.set(packets);
    }

    /** From now on both ends' {@code send} throws (the path failed for good). */
    public void fail() {
        aToB.failed = true;
        bToA.failed = true;
    }

    /** Datagrams delivered a → b. */
    public long deliveredAtoB() {
        return aToB.delivered.get();
    }

    /** Datagrams delivered b → a. */
    public long deliveredBtoA() {
        return bToA.delivered.get();
    }

    /** Hands {@code datagram} straight to b's handler, as if it arrived on this path (test injection). */
    public void injectToB(final byte[] datagram) {
        b.deliver(datagram, 0, datagram.length);
    }

    /** Hands {@code datagram} straight to a's handler. */
    public void injectToA(final byte[] datagram) {
        a.deliver(datagram, 0, datagram.length);
    }

    /** Replaces datagrams a → b on their way through {@code tamper} (test hook; null = none). */
    public void tamperAtoB(final Tamper tamper) {
        aToB.tamper = tamper;
    }

    /** Replaces datagrams b → a on their way through {@code tamper}. */
    public void tamperBtoA(final Tamper tamper) {
        bToA.tamper = tamper;
    }

    /** Lets a test copy, change, drop or multiply datagrams in flight. */
    @FunctionalInterface
    public interface Tamper {
        /** @return the datagrams to deliver instead of {@code datagram} (empty list = drop) */
        List<byte[]> apply(byte[] datagram);
    }

    @Override
    public void close() {
        aToB.close();
        bToA.close();
    }

    /** Settings; the same for both directions. */
    public static final class Builder {
        private String name = "mem";
        private int maxDatagram = 1452;
        private double lossPercent;
        private int reorderDepth;
        private double duplicatePercent;
        private Duration delay = Duration.ZERO;
        private long bandwidthBytesPerSecond;
        private int queueBytes = 1 << 20;
        private long seed = 1;
        private Duration rttHint = Duration.ZERO;
        private boolean lossIsCongestion;

        public Builder name(final String v) {
            name = v;
            return this;
        }

        public Builder maxDatagram(final int v) {
            maxDatagram = v;
            return this;
        }

        public Builder lossPercent(final double v) {
            lossPercent = v;
            return this;
        }

        public Builder reorderDepth(final int v) {
            reorderDepth = v;
            return this;
        }

        public Builder duplicatePercent(final double v) {
            duplicatePercent = v;
            return this;
        }

        public Builder delay(final Duration v) {
            delay = v;
            return this;
        }

        /** Bottleneck rate in bytes per second (0 = none) with a {@link #queueBytes} tail-drop queue. */
        public Builder bandwidth(final long bytesPerSecond) {
            bandwidthBytesPerSecond = bytesPerSecond;
            return this;
        }

        public Builder queueBytes(final int v) {
            queueBytes = v;
            return this;
        }

        public Builder seed(final long v) {
            seed = v;
            return this;
        }

        /** What both ends report as {@link PacketPath#lossIsCongestion()}: true for a relay-like path. */
        public Builder lossIsCongestion(final boolean v) {
            lossIsCongestion = v;
            return this;
        }

        /** What both ends report as {@link PacketPath#rttHintNanos()} (a direct path's probe RTT). */
        public Builder rttHint(final Duration v) {
            rttHint = v;
            return this;
        }

        public LossyPathPair build() {
            return new LossyPathPair(this);
        }
    }

    /** One end: sends into its outgoing link, receives from the other. */
    private static final class End implements PacketPath {
        private final String name;
        private final int maxDatagram;
        private volatile PacketHandler handler;
        private Link out;
        private final long rttHintNanos;
        private final boolean lossIsCongestion;

        End(final String name, final int maxDatagram, final long rttHintNanos, final boolean lossIsCongestion) {
            this.name = name;
            this.maxDatagram = maxDatagram;
            this.rttHintNanos = rttHintNanos;
            this.lossIsCongestion = lossIsCongestion;
        }

        @Override
        public boolean lossIsCongestion() {
            return lossIsCongestion;
        }

        @Override
        public long rttHintNanos() {
            return rttHintNanos;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public int maxDatagramLength() {
            return maxDatagram;
        }

        @Override
        public boolean send(final byte[] buffer, final int offset, final int length) throws IOException {
            if (length > maxDatagram) {
                throw new IllegalArgumentException("datagram of " + length + " bytes on a " + maxDatagram + " path");
            }
            return out.send(buffer, offset, length);
        }

        @Override
        public void receiver(final PacketHandler h) {
            handler = h;
        }

        @Override
        public void close() {
            out.close();
        }

        void deliver(final byte[] buffer, final int offset, final int length) {
            final PacketHandler h = handler;
            if (h != null) {
                h.onPacket(this, buffer, offset, length);
            }
        }

        @Override
        public String toString() {
            return name;
        }
    }

    private record Pending(long deliverAtNs, long sequence, byte[] data) implements Comparable<Pending> {
        @Override
        public int compareTo(final Pending o) {
            final int c = Long.compare(deliverAtNs, o.deliverAtNs);
            return c != 0 ? c : Long.compare(sequence, o.sequence);
        }
    }

    /** One direction. */
    private static final class Link implements Runnable {
        private final End to;
        private final SplittableRandom random;
        private final double loss;
        private final double duplicate;
        private final int reorderDepth;
        private final long delayNs;
        private final long bandwidth;
        private final int queueLimit;
        private final boolean synchronous;
        private final ReentrantLock lock = new ReentrantLock();
        private final Condition changed = lock.newCondition();
        private final PriorityQueue<Pending> queue = new PriorityQueue<>();
        private final List<byte[]> held = new ArrayList<>();
        private final List<long[]> holdState = new ArrayList<>(); // {datagrams still to pass, held since ns}
        private final AtomicLong remainingBeforeBlackhole = new AtomicLong(Long.MAX_VALUE);
        private final AtomicLong delivered = new AtomicLong();
        private final Thread thread;
        private volatile boolean blackholed;
        private volatile boolean failed;
        private volatile boolean closed;
        private volatile Tamper tamper;
        private long sequence;
        private long linkFreeAtNs;
        private long queuedBytes;

        Link(final Builder b, final long seed, final End to) {
            this.to = to;
            this.random = new SplittableRandom(seed);
            this.loss = b.lossPercent / 100.0;
            this.duplicate = b.duplicatePercent / 100.0;
            this.reorderDepth = b.reorderDepth;
            this.delayNs = b.delay.toNanos();
            this.bandwidth = b.bandwidthBytesPerSecond;
            this.queueLimit = b.queueBytes;
            this.synchronous = delayNs == 0 && bandwidth == 0 && reorderDepth == 0;
            if (synchronous) {
                thread = null;
            } else {
                thread = new Thread(this, "lossy-link-" + to.name);
                thread.setDaemon(true);
                thread.start();
            }
        }

        boolean send(final byte[] buffer, final int offset, final int length) throws IOException {
            if (failed) {
                throw new IOException("path failed (test)");
            }
            if (closed) {
                return false;
            }
            if (blackholed || remainingBeforeBlackhole.getAndDecrement() <= 0) {
                return true;
            }
            final Tamper t = tamper;
            if (t != null) {
                for (final byte[] d : t.apply(Arrays.copyOfRange(buffer, offset, offset + length))) {
                    impair(d, 0, d.length);
                }
                return true;
            }
            impair(buffer, offset, length);
            return true;
        }

        private void impair(final byte[] buffer, final int offset, final int length) {
            final int copies;
            lock.lock();
            try {
                if (random.nextDouble() < loss) {
                    return;
                }
                copies = random.nextDouble() < duplicate ? 2 : 1;
                if (!synchronous) {
                    final long nowNs = System.nanoTime();
                    for (int c = 0; c < copies; c++) {
                        final byte[] data = Arrays.copyOfRange(buffer, offset, offset + length);
                        if (reorderDepth > 0) {
                            // Everything held is passed by this datagram; release those whose count ran out.
                            for (int i = 0; i < held.size(); i++) {
                                if (--holdState.get(i)[0] <= 0) {
                                    enqueue(held.remove(i), nowNs);
                                    holdState.remove(i);
                                    i--;
                                }
                            }
                            final int wait = random.nextInt(reorderDepth + 1);
                            if (wait == 0) {
                                enqueue(data, nowNs);
                            } else {
                                held.add(data);
                                holdState.add(new long[] {wait, nowNs});
                            }
                        } else {
                            enqueue(data, nowNs);
                        }
                    }
                    changed.signal();
                    return;
                }
            } finally {
                lock.unlock();
            }
            for (int c = 0; c < copies; c++) {
                delivered.incrementAndGet();
                to.deliver(buffer, offset, length);
            }
        }

        /** Under lock. */
        private void enqueue(final byte[] data, final long nowNs) {
            long at = nowNs + delayNs;
            if (bandwidth > 0) {
                if (queuedBytes + data.length > queueLimit) {
                    return; // bottleneck queue full: tail drop
                }
                final long serialization = data.length * 1_000_000_000L / bandwidth;
                linkFreeAtNs = Math.max(linkFreeAtNs, nowNs) + serialization;
                at = linkFreeAtNs + delayNs;
                queuedBytes += data.length;
            }
            queue.add(new Pending(at, sequence++, data));
        }

        @Override
        public void run() {
            while (!closed) {
                final Pending next;
                lock.lock();
                try {
                    final long nowNs = System.nanoTime();
                    while (!held.isEmpty() && nowNs - holdState.get(0)[1] >= MAX_HOLD_NS) {
                        enqueue(held.remove(0), nowNs);
                        holdState.remove(0);
                    }
                    final Pending head = queue.peek();
                    if (head == null || head.deliverAtNs > nowNs) {
                        long waitNs = head == null ? 50_000_000L : head.deliverAtNs - nowNs;
                        if (!held.isEmpty()) {
                            waitNs = Math.min(waitNs, holdState.get(0)[1] + MAX_HOLD_NS - nowNs);
                        }
                        try {
                            changed.awaitNanos(Math.max(waitNs, 10_000L));
                        } catch (final InterruptedException e) {
                            return;
                        }
                        continue;
                    }
                    next = queue.poll();
                    if (bandwidth > 0) {
                        queuedBytes -= next.data.length;
                    }
                } finally {
                    lock.unlock();
                }
                if (!blackholed) {
                    delivered.incrementAndGet();
                    to.deliver(next.data, 0, next.data.length);
                }
            }
        }

        void close() {
            closed = true;
            if (thread != null) {
                lock.lock();
                try {
                    changed.signal();
                } finally {
                    lock.unlock();
                }
            }
        }
    }
}
