package dev.derphole.session.portmap;

import java.io.Closeable;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.PortUnreachableException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Duration;

import dev.derphole.session.portmap.PortmapCounters.Name;

/**
 * The UDP socket and retransmission loop NAT-PMP and PCP share: one socket bound to our LAN address and connected
 * to the gateway's server port, so the kernel drops datagrams from anyone else and reports an ICMP port
 * unreachable (nothing listens on the gateway) as an immediate failure instead of a timeout.
 * <p>
 * Requests go out at 0, 250, 750, 1750 ms, ... (RFC 6886 section 3.1's 250 ms doubling) until the caller's
 * budget ends; callers keep the budget near 1 s, so a silent gateway costs at most that.
 * <p>
 * Owned by one thread at a time; {@link #close()} may be called from any thread and makes a running exchange
 * return {@link MapResult.Failure#ABORTED}.
 */
final class PxpSocket implements Closeable {
    /** First retransmission interval, in ms (RFC 6886: 250 ms, doubling). */
    static final long INITIAL_RETRANSMIT_MS = 250;
    /** Receive buffer, in bytes: the largest PCP message (1100) with room to spare, so oversize ones show. */
    private static final int RECEIVE_BYTES = 1200;
    /** Most stale answers dropped before a new exchange. */
    private static final int MAX_STALE = 16;

    /** Sends one round of requests (the first transmission or a retransmission). */
    @FunctionalInterface
    interface Round {
        void send(PxpSocket socket) throws IOException;
    }

    /** Looks at one datagram from the gateway; returns the exchange's result, or null to keep waiting. */
    @FunctionalInterface
    interface Handler {
        MapResult onDatagram(byte[] data, int length);
    }

    /** A handler's answer when the exchange succeeded without a mapping to return (deletes, address queries). */
    static final MapResult CONFIRMED = new MapResult.Mapped(new Mapping(Mapping.Kind.NAT_PMP,
        new InetSocketAddress(InetAddress.getLoopbackAddress(), 9), Duration.ZERO), -1);

    private final DatagramSocket socket;
    private final PortmapCounters counters;
    private final byte[] receiveBuffer = new byte[RECEIVE_BYTES];
    private volatile boolean closed;

    PxpSocket(final InetSocketAddress server, final InetAddress bindAddress, final PortmapCounters counters)
        throws IOException {
        this.counters = counters;
        final DatagramSocket s = new DatagramSocket(null);
        try {
            s.bind(new InetSocketAddress(bindAddress, 0));
            s.connect(server);
        } catch (final IOException | RuntimeException e) {
            s.close();
            throw e instanceof IOException io ? io : new SocketException(e.toString());
        }
        this.socket = s;
    }

    /** The address our requests leave from (what PCP puts in its client address field). */
    InetAddress localAddress() {
        return socket.getLocalAddress();
    }

    void send(final byte[] packet) throws IOException {
        socket.send(new DatagramPacket(packet, packet.length));
        counters.increment(Name.PXP_SENT);
    }

    /** Runs one request/response exchange within {@code budget}; never throws. */
    MapResult exchange(final Duration budget, final Round round, final Handler handler) {
        final long start = System.nanoTime();
        final long deadline = start + budget.toNanos();
        long nextSend = start;
        long intervalNs = INITIAL_RETRANSMIT_MS * 1_000_000L;
        final DatagramPacket packet = new DatagramPacket(receiveBuffer, receiveBuffer.length);
        dropStaleAnswers(packet);
        while (!closed) {
            long now = System.nanoTime();
            if (now - deadline >= 0) {
                return MapResult.Failed.of(MapResult.Failure.NO_RESPONSE);
            }
            try {
                if (now - nextSend >= 0) {
                    round.send(this);
                    nextSend = now + intervalNs;
                    intervalNs *= 2;
                }
                now = System.nanoTime();
                final long waitNs = Math.min(nextSend - now, deadline - now);
                socket.setSoTimeout((int)Math.max(1, Math.min(Integer.MAX_VALUE, (waitNs + 999_999) / 1_000_000)));
                packet.setLength(receiveBuffer.length);
                socket.receive(packet);
            } catch (final SocketTimeoutException e) {
                continue;
            } catch (final PortUnreachableException e) {
                return MapResult.Failed.of(MapResult.Failure.PORT_UNREACHABLE);
            } catch (final IOException e) {
                return MapResult.Failed.of(closed ? MapResult.Failure.ABORTED : MapResult.Failure.IO_ERROR);
            }
            final MapResult result = handler.onDatagram(receiveBuffer, packet.getLength());
            if (result != null) {
                return result;
            }
        }
        return MapResult.Failed.of(MapResult.Failure.ABORTED);
    }

    /**
     * Drops what the gateway sent since the last exchange returned: answers to that exchange's retransmissions.
     * A NAT-PMP answer carries no request id, so one of them would pass for this exchange's answer (a mapping
     * refreshed to a new port read as the old port).
     */
    private void dropStaleAnswers(final DatagramPacket packet) {
        try {
            socket.setSoTimeout(1);
            for (int i = 0; i < MAX_STALE; i++) {
                packet.setLength(receiveBuffer.length);
                socket.receive(packet);
                counters.increment(Name.PXP_STALE);
            }
        } catch (final IOException e) {
            // Timed out: nothing (more) is waiting. Any other failure shows again in the exchange.
        }
    }

    @Override
    public void close() {
        closed = true;
        socket.close();
    }
}
