package dev.derphole.derp.server;

import java.io.IOException;
import java.util.concurrent.ThreadLocalRandom;

import dev.derphole.derp.proto.FrameType;
import dev.derphole.derp.proto.FrameWriter;

/**
 * The only thread that writes to a client's socket once the handshake is done (derper's {@code sendLoop}).
 * It writes ServerInfo first, then repeatedly drains the client's {@link SendQueue}: all queued packets (up to one
 * batch), control frames and the pending Pong go into the {@link FrameWriter}'s buffer and are flushed together,
 * so a burst costs one syscall. KeepAlive frames are written every interval (plus a per-connection random jitter).
 * Each frame write arms the connection's write-timeout check; a failed or timed-out write closes the connection.
 * Owned by its writer thread; not thread-safe.
 */
final class ClientWriter implements Runnable {
    /** Most packets written per drain before flushing; bounds the writer's borrowed slot arrays. */
    static final int MAX_BATCH = 128;

    private final ClientConnection connection;
    private final FrameWriter out;
    private final SendQueue queue;
    private final DerpServerCounters counters;
    private final byte[] serverInfo;
    private final long keepAlivePeriodNs;
    private final SendQueue.Batch batch;
    private final byte[] pong = new byte[8];

    ClientWriter(
        final ClientConnection connection, final FrameWriter out, final SendQueue queue,
        final DerpServerCounters counters, final byte[] serverInfoPayload, final long keepAliveNs,
            final long jitterNs) {
        this.connection = connection;
        this.out = out;
        this.queue = queue;
        this.counters = counters;
        this.serverInfo = serverInfoPayload;
        this.keepAlivePeriodNs = keepAliveNs + (jitterNs > 0 ? ThreadLocalRandom.current().nextLong(jitterNs) : 0);
        this.batch = new SendQueue.Batch(Math.min(queue.capacity(), MAX_BATCH));
    }

    @Override
    public void run() {
        int next = 0; // index of the packet being written, for counting write errors
        try {
            connection.armWrite();
            out.writeFrame(FrameType.SERVER_INFO, serverInfo, 0, serverInfo.length);
            out.flush();
            connection.disarmWrite();
            long keepAliveAtNs = System.nanoTime() + keepAlivePeriodNs;
            while (true) {
                final int moved = queue.drain(batch, keepAliveAtNs);
                if (moved < 0) {
                    return;
                }
                for (next = 0; next < batch.packetCount; next++) {
                    final int len = batch.lengths[next];
                    connection.armWrite();
                    out.writeKeyedFrame(FrameType.RECV_PACKET, batch.sources[next], batch.data[next], 0, len);
                    counters.onPacketForwarded(len);
                }
                next = batch.packetCount;
                writeControl();
                final long nowNs = System.nanoTime();
                if (nowNs - keepAliveAtNs >= 0) {
                    connection.armWrite();
                    out.writeEmptyFrame(FrameType.KEEP_ALIVE);
                    counters.onKeepAliveSent();
                    keepAliveAtNs += keepAlivePeriodNs;
                    if (keepAliveAtNs - nowNs <= 0) {
                        keepAliveAtNs = nowNs + keepAlivePeriodNs;
                    }
                }
                connection.armWrite();
                out.flush();
                connection.disarmWrite();
                final boolean full = batch.packetCount == batch.capacity();
                batch.recycle();
                if (full) {
                    Thread.yield(); // more is probably queued; let other virtual threads run (no time slicing)
                }
            }
        } catch (final IOException e) {
            // The packet being written and the rest of its batch are lost (derper counts write_error per packet).
            counters.onDrops(DropReason.WRITE_ERROR, Math.max(0, batch.packetCount - next));
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            connection.disarmWrite();
            connection.close();
        }
    }

    private void writeControl() throws IOException {
        SendQueue.Control c;
        while ((c = batch.control.pollFirst()) != null) {
            connection.armWrite();
            if (c.frameType() == FrameType.PEER_GONE) {
                out.writeKeyAndByteFrame(FrameType.PEER_GONE, c.key(), c.reason());
                counters.onPeerGoneSent(c.reason());
            } else {
                out.writeFrame(c.frameType(), c.text(), 0, c.text().length);
                counters.onHealthSent();
            }
        }
        if (batch.pongPending) {
            final long v = batch.pongData;
            for (int i = 0; i < 8; i++) {
                pong[i] = (byte)(v >>> (56 - 8 * i));
            }
            connection.armWrite();
            out.writeFrame(FrameType.PONG, pong, 0, pong.length);
            counters.onPongSent();
        }
    }
}
