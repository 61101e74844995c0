package dev.derphole.derp.stun;

import java.io.IOException;
import java.net.BindException;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * UDP STUN binding responder, the STUN half of {@code derphole relay} (Tailscale's derper serves the
 * same on UDP 3478). Every valid binding request gets a success response carrying the request's source
 * address (XOR-MAPPED-ADDRESS); everything else is counted and dropped, never logged or answered.
 *
 * <p>Threading: one platform thread, named {@code derphole-stun-<port>}, owns the channel's receive
 * side and both buffers; it blocks in {@link DatagramChannel#receive}. A platform thread (not virtual)
 * because it lives as long as the server and spends its life in one blocking call, and a stable name
 * helps in thread dumps. The counters are written only by that thread (single writer) and may be read
 * from any thread. {@link #start()} and {@link #close()} may be called from any thread; close closes
 * the channel, which wakes the receive, and joins the thread.
 *
 * <p>Bind {@code [::]} for a dual-stack server (IPv4 clients appear as IPv4 addresses), {@code 0.0.0.0}
 * for IPv4 only. Allocation per request: the JDK allocates the source {@link InetSocketAddress} on every receive
 * and {@link StunMessage#writeBindingResponse} copies the source address bytes; the buffers are reused.
 */
public final class StunServer implements AutoCloseable {
    /** Receive buffer size in bytes: larger datagrams are truncated by the OS and then fail the length check. */
    public static final int RECEIVE_BUFFER_BYTES = 1500;
    /** Pause after an unexpected receive error before retrying, so a persistent error cannot spin a core. */
    private static final long RECEIVE_ERROR_BACKOFF_NS = TimeUnit.MILLISECONDS.toNanos(1);
    /** Longest {@link #close()} waits for the thread to end. */
    private static final long JOIN_TIMEOUT_MS = 5_000;

    private final InetSocketAddress bindAddress;
    // Lifecycle state, guarded by this (start/close); the server thread only reads closed and channel.
    private boolean started;
    private volatile boolean closed;
    private volatile DatagramChannel channel;
    private volatile InetSocketAddress localAddress;
    private Thread thread;

    // Single writer: the server thread. Plain volatile increments are safe with one writer.
    private volatile long requests;
    private volatile long responses;
    private volatile long malformed;
    private volatile long notBinding;
    private volatile long sendErrors;
    private volatile long receiveErrors;

    /** @param bindAddress address and port to listen on (port 0 picks a free port) */
    public StunServer(final InetSocketAddress bindAddress) {
        if (bindAddress.isUnresolved()) {
            throw new IllegalArgumentException("STUN bind address must be resolved: " + bindAddress);
        }
        this.bindAddress = bindAddress;
    }

    /**
     * Binds the socket and starts the responder thread.
     *
     * @throws BindException naming the address when it is in use or not local
     * @throws IOException   for other socket errors
     * @throws IllegalStateException when already started or closed
     */
    public synchronized void start() throws IOException {
        if (closed || started) {
            throw new IllegalStateException("STUN server already started or closed");
        }
        started = true;
        final DatagramChannel ch = DatagramChannel.open(bindAddress.getAddress() instanceof Inet6Address
            ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET);
        try {
            ch.bind(bindAddress);
        } catch (final IOException e) {
            ch.close();
            final BindException named = new BindException("cannot bind STUN server to UDP " + format(bindAddress)
                + ": " + e.getMessage());
            named.initCause(e);
            throw named;
        }
        channel = ch;
        localAddress = (InetSocketAddress) ch.getLocalAddress();
        thread = Thread.ofPlatform().daemon().name("derphole-stun-" + localAddress.getPort()).unstarted(this::run);
        thread.start();
    }

    /** @return the bound address (with the real port when port 0 was asked for) */
    public InetSocketAddress localAddress() {
        final InetSocketAddress a = localAddress;
        if (a == null) {
            throw new IllegalStateException("STUN server not started");
        }
        return a;
    }

    /** @return valid binding requests received */
    public long requests() {
        return requests;
    }

    /** @return binding responses sent */
    public long responses() {
        return responses;
    }

    /** @return datagrams dropped because they are not STUN or are malformed STUN */
    public long malformed() {
        return malformed;
    }

    /** @return well-formed STUN messages dropped because they are not binding requests */
    public long notBinding() {
        return notBinding;
    }

    /** @return responses that could not be sent */
    public long sendErrors() {
        return sendErrors;
    }

    /** @return receive calls that failed for a reason other than close */
    public long receiveErrors() {
        return receiveErrors;
    }

    /** Stops the server: closes the socket and waits (bounded) for the thread. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        final DatagramChannel ch = channel;
        if (ch != null) {
            try {
                ch.close();
            } catch (final IOException ignored) {
                // Closing a datagram channel does not fail in practice; nothing to do if it does.
            }
        }
        final Thread t = thread;
        if (t != null && t != Thread.currentThread()) {
            try {
                t.join(JOIN_TIMEOUT_MS);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void run() {
        final DatagramChannel ch = channel;
        final byte[] rx = new byte[RECEIVE_BUFFER_BYTES];
        final byte[] tx = new byte[StunMessage.MAX_BINDING_RESPONSE_LENGTH];
        final ByteBuffer rxBuffer = ByteBuffer.wrap(rx);
        final ByteBuffer txBuffer = ByteBuffer.wrap(tx);
        while (!closed) {
            final InetSocketAddress source;
            try {
                rxBuffer.clear();
                source = (InetSocketAddress) ch.receive(rxBuffer);
            } catch (final ClosedChannelException e) {
                return;
            } catch (final IOException e) {
                if (!ch.isOpen()) {
                    return;
                }
                receiveErrors = receiveErrors + 1;
                LockSupport.parkNanos(RECEIVE_ERROR_BACKOFF_NS);
                continue;
            }
            if (source == null) {
                continue;
            }
            onDatagram(ch, rx, rxBuffer.position(), source, tx, txBuffer);
        }
    }

    private void onDatagram(final DatagramChannel ch, final byte[] rx, final int length, final InetSocketAddress source,
                            final byte[] tx, final ByteBuffer txBuffer) {
        switch (StunMessage.checkBindingRequest(rx, 0, length)) {
            case StunMessage.VALID_BINDING_REQUEST -> {
                requests = requests + 1;
                final int n = StunMessage.writeBindingResponse(rx, 0, source.getAddress(), source.getPort(), tx, 0);
                try {
                    txBuffer.clear().limit(n);
                    if (ch.send(txBuffer, source) == n) {
                        responses = responses + 1;
                    } else {
                        sendErrors = sendErrors + 1;
                    }
                } catch (final IOException e) {
                    sendErrors = sendErrors + 1;
                }
            }
            case StunMessage.NOT_BINDING_REQUEST -> notBinding = notBinding + 1;
            default -> malformed = malformed + 1;
        }
    }

    private static String format(final InetSocketAddress a) {
        final String host = a.getAddress() == null ? a.getHostString() : a.getAddress().getHostAddress();
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + a.getPort();
    }
}
