package dev.derphole.derp.stun;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.UnresolvedAddressException;
import java.nio.channels.UnsupportedAddressTypeException;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Sends STUN binding requests and waits for the matching responses: the server-reflexive address of a
 * socket, and the round-trip time, for candidate gathering and netcheck.
 *
 * <p>It works on its own socket ({@link #open}) or on the caller's ({@link #over}), so the mapping
 * learned is the one of the socket that will carry traffic. On a caller's socket nothing else may
 * receive while a query runs: datagrams that are not the expected responses are read and dropped
 * (counted in {@link #ignoredDatagrams()}). The caller's channel may be blocking (its socket adaptor's
 * timeout is used) or non-blocking (a private selector is used); it must not be connected.
 *
 * <p>Retransmission (RFC 5389 §7.2.1): requests go out at 0, RTO, 3·RTO, 7·RTO... with
 * {@link #INITIAL_RTO} doubling, at most {@link #MAX_TRANSMISSIONS} times, until the timeout. Each
 * transmission uses a fresh transaction id, so an RTT is never measured against the wrong send
 * (Karn's problem). A response counts only if its id is one we sent to that server and it comes from
 * that server's address. Every wait is bounded by the timeout and every query by
 * {@link #MAX_IGNORED_DATAGRAMS} stray datagrams.
 *
 * <p>Not thread-safe: one query at a time.
 */
public final class StunClient implements AutoCloseable {
    /** First retransmission timeout (RFC 5389 §7.2.1 recommends 500 ms). */
    public static final Duration INITIAL_RTO = Duration.ofMillis(500);
    /** Most requests sent to one server in one query (RFC 5389 Rc = 7). */
    public static final int MAX_TRANSMISSIONS = 7;
    /** A query gives up after reading this many datagrams that are not a wanted response. */
    public static final int MAX_IGNORED_DATAGRAMS = 1024;
    /** Receive buffer size in bytes. */
    private static final int RECEIVE_BUFFER_BYTES = 1500;

    private final DatagramChannel channel;
    private final boolean ownsChannel;
    private final byte[] rx = new byte[RECEIVE_BUFFER_BYTES];
    private final byte[] tx = new byte[StunMessage.BINDING_REQUEST_LENGTH];
    private long ignoredDatagrams;

    /**
     * One answered query.
     *
     * @param server        the STUN server asked
     * @param mappedAddress this socket's address as the server saw it
     * @param rtt           time from sending the answered request to receiving its response
     */
    public record Result(InetSocketAddress server, InetSocketAddress mappedAddress, Duration rtt) {
    }

    private StunClient(final DatagramChannel channel, final boolean ownsChannel) {
        this.channel = channel;
        this.ownsChannel = ownsChannel;
    }

    /**
     * Opens a client on its own blocking UDP socket.
     *
     * @param bindAddress local address (port 0 for any); its family decides the socket's family
     * @return the client; {@link #close()} closes the socket
     * @throws IOException when the socket cannot be opened or bound
     */
    public static StunClient open(final InetSocketAddress bindAddress) throws IOException {
        final DatagramChannel ch = DatagramChannel.open(bindAddress.getAddress() instanceof Inet6Address
            ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET);
        try {
            ch.bind(bindAddress);
        } catch (final IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
        return new StunClient(ch, true);
    }

    /**
     * Uses the caller's bound, unconnected channel; {@link #close()} leaves it open.
     *
     * @param channel the channel (blocking or non-blocking)
     * @return the client
     */
    public static StunClient over(final DatagramChannel channel) {
        return new StunClient(channel, false);
    }

    /**
     * @return the local address of the socket queries are sent from
     * @throws IOException when the socket is closed
     */
    public InetSocketAddress localAddress() throws IOException {
        return (InetSocketAddress) channel.getLocalAddress();
    }

    /** @return datagrams read and dropped because they were not a wanted response (since creation) */
    public long ignoredDatagrams() {
        return ignoredDatagrams;
    }

    /**
     * Asks one server for this socket's mapped address.
     *
     * @param server  STUN server address
     * @param timeout overall time limit
     * @return the answer
     * @throws SocketTimeoutException when no valid response arrives in time
     * @throws IOException           when the request cannot be sent or the socket fails
     */
    public Result query(final InetSocketAddress server, final Duration timeout) throws IOException {
        final Map<InetSocketAddress, Result> results = new LinkedHashMap<>();
        final IOException sendError = run(Set.of(server), timeout, results);
        final Result result = results.get(server);
        if (result != null) {
            return result;
        }
        if (sendError != null) {
            throw sendError;
        }
        throw new SocketTimeoutException("no STUN response from " + server + " within " + timeout.toMillis() + " ms");
    }

    /**
     * Asks several servers at once from the same socket (so the answers describe one NAT mapping) and
     * waits until all answered or the timeout passed.
     *
     * @param servers STUN server addresses
     * @param timeout overall time limit
     * @return the answers by server, in the order they arrived; servers that did not answer in time,
     *     or could not be sent to, are absent
     * @throws IOException when the socket fails while receiving
     */
    public Map<InetSocketAddress, Result> queryAll(final Collection<InetSocketAddress> servers, final Duration timeout)
        throws IOException {
        final Map<InetSocketAddress, Result> results = new LinkedHashMap<>();
        run(new LinkedHashSet<>(servers), timeout, results);
        return results;
    }

    private IOException run(final Set<InetSocketAddress> servers, final Duration timeout,
                            final Map<InetSocketAddress, Result> results) throws IOException {
        final Set<InetSocketAddress> unanswered = new LinkedHashSet<>(servers);
        final Map<StunTransactionId, Sent> pending = new HashMap<>();
        final long startNs = System.nanoTime();
        final long deadlineNs = startNs + timeout.toNanos();
        long rtoNs = INITIAL_RTO.toNanos();
        long nextSendNs = startNs;
        int transmissions = 0;
        int ignored = 0;
        IOException firstSendError = null;
        try (Receiver receiver = channel.isBlocking() ? new BlockingReceiver() : new SelectingReceiver()) {
            while (!unanswered.isEmpty() && ignored < MAX_IGNORED_DATAGRAMS) {
                long nowNs = System.nanoTime();
                if (nowNs - deadlineNs >= 0) {
                    break;
                }
                if (transmissions < MAX_TRANSMISSIONS && nowNs - nextSendNs >= 0) {
                    for (final var it = unanswered.iterator(); it.hasNext(); ) {
                        final InetSocketAddress server = it.next();
                        try {
                            final StunTransactionId txId = StunTransactionId.random();
                            send(txId, server);
                            pending.put(txId, new Sent(server, System.nanoTime()));
                        } catch (final IOException e) {
                            firstSendError = firstSendError == null ? e : firstSendError;
                            it.remove();
                        }
                    }
                    transmissions++;
                    nextSendNs = nowNs + rtoNs;
                    rtoNs *= 2;
                    nowNs = System.nanoTime();
                }
                final long waitUntilNs = transmissions < MAX_TRANSMISSIONS && nextSendNs - deadlineNs < 0
                    ? nextSendNs : deadlineNs;
                final long waitNs = waitUntilNs - nowNs;
                if (waitNs <= 0 || unanswered.isEmpty()) {
                    continue;
                }
                final InetSocketAddress source = receiver.receive(waitNs);
                if (source == null) {
                    continue;
                }
                final long receivedNs = System.nanoTime();
                if (!accept(source, receiver.length(), receivedNs, pending, unanswered, results)) {
                    ignored++;
                    ignoredDatagrams++;
                }
            }
        }
        return firstSendError;
    }

    private boolean accept(final InetSocketAddress source, final int length, final long receivedNs,
                           final Map<StunTransactionId, Sent> pending, final Set<InetSocketAddress> unanswered,
                           final Map<InetSocketAddress, Result> results) {
        if (!StunMessage.isStunMessage(rx, 0, length)) {
            return false;
        }
        final StunResponse response;
        try {
            response = StunMessage.parseBindingResponse(rx, 0, length);
        } catch (final StunException e) {
            return false;
        }
        final Sent sent = pending.get(response.transactionId());
        if (sent == null || !sent.server.equals(source) || !unanswered.remove(sent.server)) {
            return false;
        }
        results.put(sent.server, new Result(sent.server, response.mappedAddress(),
            Duration.ofNanos(receivedNs - sent.sentNs)));
        return true;
    }

    private void send(final StunTransactionId txId, final InetSocketAddress server) throws IOException {
        final int n = StunMessage.writeBindingRequest(txId, tx, 0);
        final int sent;
        try {
            sent = channel.send(ByteBuffer.wrap(tx, 0, n), server);
        } catch (final UnsupportedAddressTypeException | UnresolvedAddressException e) {
            throw new IOException("cannot send a STUN request to " + server + " from " + channel.getLocalAddress()
                + ": " + e, e);
        }
        if (sent != n) {
            // Only a non-blocking channel with a full send buffer sends nothing; treat as a send failure.
            throw new IOException("STUN request to " + server + " not sent (socket buffer full)");
        }
    }

    /** Closes the socket if this client opened it. */
    @Override
    public void close() throws IOException {
        if (ownsChannel) {
            channel.close();
        }
    }

    private record Sent(InetSocketAddress server, long sentNs) {
    }

    /** Receives one datagram into {@link #rx} within a time limit. */
    private interface Receiver extends AutoCloseable {
        /** @return the source, or null when the time passed */
        InetSocketAddress receive(long timeoutNs) throws IOException;

        /** @return length of the datagram last received */
        int length();

        @Override
        void close() throws IOException;
    }

    /** Blocking channel: the socket adaptor's receive honours SO_TIMEOUT. */
    private final class BlockingReceiver implements Receiver {
        private final DatagramSocket socket = channel.socket();
        private final DatagramPacket packet = new DatagramPacket(rx, rx.length);
        private final int previousTimeoutMs;

        BlockingReceiver() throws IOException {
            previousTimeoutMs = socket.getSoTimeout();
        }

        @Override
        public InetSocketAddress receive(final long timeoutNs) throws IOException {
            // SO_TIMEOUT 0 would mean "forever": never go below 1 ms.
            socket.setSoTimeout((int) Math.max(1, Math.min(Integer.MAX_VALUE,
                TimeUnit.NANOSECONDS.toMillis(timeoutNs + 999_999))));
            packet.setData(rx, 0, rx.length);
            try {
                socket.receive(packet);
            } catch (final SocketTimeoutException e) {
                return null;
            }
            return (InetSocketAddress) packet.getSocketAddress();
        }

        @Override
        public int length() {
            return packet.getLength();
        }

        @Override
        public void close() throws IOException {
            if (!socket.isClosed()) {
                socket.setSoTimeout(previousTimeoutMs);
            }
        }
    }

    /** Non-blocking channel: wait with a private selector, then read one datagram. */
    private final class SelectingReceiver implements Receiver {
        private final Selector selector = Selector.open();
        private final ByteBuffer buffer = ByteBuffer.wrap(rx);

        SelectingReceiver() throws IOException {
            try {
                channel.register(selector, SelectionKey.OP_READ);
            } catch (final IOException | RuntimeException e) {
                selector.close();
                throw e;
            }
        }

        @Override
        public InetSocketAddress receive(final long timeoutNs) throws IOException {
            buffer.clear();
            InetSocketAddress source = (InetSocketAddress) channel.receive(buffer);
            if (source == null) {
                selector.selectedKeys().clear();
                selector.select(Math.max(1, TimeUnit.NANOSECONDS.toMillis(timeoutNs + 999_999)));
                buffer.clear();
                source = (InetSocketAddress) channel.receive(buffer);
            }
            return source;
        }

        @Override
        public int length() {
            return buffer.position();
        }

        @Override
        public void close() throws IOException {
            selector.close();
        }
    }
}
