package dev.derphole.derp.client;

import java.util.ArrayDeque;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The receive queue between the reader (and the supervisor's lifecycle events) and the application, in arrival
 * order. Packets are bounded by {@code capacity}: when it is full the reader waits, so it stops reading and TCP
 * flow control pushes back on the relay (never unbounded memory, never a silent drop). Other events are rare; they
 * never wait, and only beyond {@link #CONTROL_ALLOWANCE} unread ones are they dropped (and counted).
 * <p>
 * Thread-safe: producers are the reader and the supervisor, consumers the application's threads.
 */
final class EventQueue {
    /** Non-packet events held beyond the packet capacity before new ones are dropped. */
    static final int CONTROL_ALLOWANCE = 1024;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition notEmpty = lock.newCondition();
    private final Condition packetSpace = lock.newCondition();
    private final ArrayDeque<DerpEvent> events;
    private final int capacity;
    private int packets;
    private int controls;
    private boolean closed;
    private boolean ended;

    EventQueue(final int capacity) {
        this.capacity = capacity;
        events = new ArrayDeque<>(Math.min(capacity, 4096) + 16);
    }

    /**
     * Appends a packet, waiting while {@code capacity} packets are unread.
     *
     * @return false when the queue was closed (the packet is not delivered)
     */
    boolean putPacket(final DerpEvent.Packet packet) throws InterruptedException {
        lock.lockInterruptibly();
        try {
            while (packets >= capacity && !closed) {
                packetSpace.await();
            }
            if (closed) {
                return false;
            }
            events.addLast(packet);
            packets++;
            notEmpty.signal();
            return true;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Appends a non-packet event without waiting.
     *
     * @return false when it was dropped (queue closed, or {@link #CONTROL_ALLOWANCE} such events unread)
     */
    boolean putControl(final DerpEvent event) {
        lock.lock();
        try {
            if (closed || controls >= CONTROL_ALLOWANCE) {
                return false;
            }
            events.addLast(event);
            controls++;
            notEmpty.signal();
            return true;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Takes the oldest event, waiting up to {@code timeoutNs}.
     *
     * @return the event, or null on timeout, after {@link #close()}, or after {@link #end()} once drained
     */
    DerpEvent poll(final long timeoutNs) throws InterruptedException {
        lock.lockInterruptibly();
        try {
            long remainingNs = timeoutNs;
            while (events.isEmpty() || closed) {
                if (closed || ended || remainingNs <= 0) {
                    return null;
                }
                remainingNs = notEmpty.awaitNanos(remainingNs);
            }
            final DerpEvent event = events.pollFirst();
            if (event instanceof DerpEvent.Packet) {
                packets--;
                packetSpace.signal();
            } else {
                controls--;
            }
            return event;
        } finally {
            lock.unlock();
        }
    }

    /** Unread packets. */
    int packets() {
        lock.lock();
        try {
            return packets;
        } finally {
            lock.unlock();
        }
    }

    /** No more events will come; readers drain what is left and then get null at once. */
    void end() {
        lock.lock();
        try {
            ended = true;
            notEmpty.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Wakes every waiter; from now on nothing is accepted or returned. */
    void close() {
        lock.lock();
        try {
            closed = true;
            events.clear();
            packets = 0;
            controls = 0;
            notEmpty.signalAll();
            packetSpace.signalAll();
        } finally {
            lock.unlock();
        }
    }
}
