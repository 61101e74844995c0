package dev.derphole.lanes.send;

import java.io.IOException;

import org.jctools.queues.SpscArrayQueue;

import dev.derphole.lanes.engine.Signal;
import dev.derphole.udp.PacketPath;

/**
 * The sending thread of one extra lane (lane 1 and up; lane 0 is sent by the engine thread itself). The engine
 * seals a burst into a free {@link LaneBatch} and offers it on a bounded single-producer/single-consumer queue;
 * this thread queues the burst's datagrams on the lane's {@link PacketPath} and flushes them (one system call,
 * GSO where the socket has it), then returns the batch on a second SPSC queue. So the system calls of several
 * lanes run in parallel with each other and with sealing, with no lock between the engine and the lanes and no
 * allocation per packet: {@link #BATCHES} batches of {@code batchBytes} each are made up front.
 * <p>
 * Threads: {@link #takeFree}, {@link #submit}, {@link #close} from the engine thread; the lane thread
 * ({@code derphole-lane-N}) runs the send loop. A path that throws marks the lane {@link #failed()}; the engine
 * then drops it (what it carried is repaired like any loss).
 */
public final class LaneSender implements AutoCloseable {
    /** Batches per lane: one being filled, one being sent, two queued. */
    static final int BATCHES = 4;
    /** Longest park of an idle lane thread, in ns (it is woken by every submit). */
    private static final long IDLE_PARK_NS = 50_000_000L;

    private final int index;
    private final PacketPath path;
    private final Signal engineSignal;
    private final Signal laneSignal = new Signal();
    private final SpscArrayQueue<LaneBatch> full = new SpscArrayQueue<>(BATCHES);
    private final SpscArrayQueue<LaneBatch> free = new SpscArrayQueue<>(BATCHES);
    private final Thread thread;
    private volatile boolean closed;
    private volatile IOException failure;

    /**
     * @param index        lane index (1..15), for the thread name
     * @param path         the lane's path
     * @param batchBytes   bytes per batch (at least one datagram of the path's largest size)
     * @param engineSignal woken when a batch comes back (the engine may be waiting for one)
     */
    public LaneSender(final int index, final PacketPath path, final int batchBytes, final Signal engineSignal) {
        this.index = index;
        this.path = path;
        this.engineSignal = engineSignal;
        for (int i = 0; i < BATCHES; i++) {
            free.offer(new LaneBatch(batchBytes));
        }
        this.thread = Thread.ofPlatform().daemon().name("derphole-lane-" + index).unstarted(this::run);
    }

    /** Starts the lane thread. */
    public LaneSender start() {
        thread.start();
        return this;
    }

    public int index() {
        return index;
    }

    public PacketPath path() {
        return path;
    }

    /**
     * Engine: a batch to fill, or null when all are queued or being sent (the lane is busy). Its
     * {@link LaneBatch#dropped} still says how many of its last datagrams the path refused; the caller reads it
     * and clears the batch.
     */
    LaneBatch takeFree() {
        return free.relaxedPoll();
    }

    /** Engine: hands a filled batch to the lane thread (there is always room: only {@link #BATCHES} exist). */
    void submit(final LaneBatch batch) {
        full.offer(batch);
        laneSignal.signal();
    }

    /** Engine: gives an unused batch back. */
    void giveBack(final LaneBatch batch) {
        batch.clear();
        free.offer(batch);
    }

    /** Why the lane's path failed, or null. */
    public IOException failed() {
        return failure;
    }

    private void run() {
        laneSignal.bindOwner();
        while (!closed) {
            laneSignal.beginCycle();
            final LaneBatch batch = full.relaxedPoll();
            if (batch == null) {
                laneSignal.idle(IDLE_PARK_NS);
                continue;
            }
            send(batch);
            free.offer(batch);
            engineSignal.signal();
        }
    }

    private void send(final LaneBatch batch) {
        if (failure != null) {
            batch.dropped = batch.count;
            return;
        }
        int dropped = 0;
        try {
            for (int i = 0; i < batch.count; i++) {
                if (!path.queue(batch.data, batch.offsets[i], batch.lengths[i])) {
                    dropped++;
                }
            }
            path.flush();
        } catch (final IOException e) {
            failure = e;
            dropped = batch.count;
        }
        batch.dropped = dropped;
    }

    /** Stops the lane thread (batches still queued are dropped: the engine repairs them). Does not wait. */
    @Override
    public void close() {
        closed = true;
        laneSignal.signal(); // not interrupt(): that would close an NIO socket under a send
    }
}
