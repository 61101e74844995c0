package dev.derphole.derp.client;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.List;

import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/**
 * Opens the byte stream to a relay: TCP to the first address that answers (tried in order within one budget),
 * then TLS when the target is https. Shared by {@link DerpClient} and {@link DerpProbe}. Stateless.
 */
final class DerpDialer {
    /** Each address but the last gets at least this much of the budget (tailscale dialNodeTimeout: 1.5 s). */
    static final long MIN_ATTEMPT_NS = 1_500_000_000L;

    /** We speak HTTP/1.1 only: never offer h2, or a relay's HTTP server could pick it and the upgrade fails. */
    private static final String[] ALPN = {"http/1.1"};

    private DerpDialer() {
    }

    /**
     * Connects TCP to the target's dial addresses (or its resolved host) in order, within {@code timeout}.
     *
     * @throws IOException with one line naming the relay and the last failure
     */
    static Socket connectTcp(final DerpTarget target, final Duration timeout) throws IOException {
        final List<InetAddress> addresses = addresses(target);
        final long deadlineNs = System.nanoTime() + timeout.toNanos();
        IOException last = null;
        for (int i = 0; i < addresses.size(); i++) {
            final long remainingNs = deadlineNs - System.nanoTime();
            if (remainingNs <= 0) {
                break;
            }
            final int left = addresses.size() - i;
            final long attemptNs = left == 1 ? remainingNs
                : Math.min(remainingNs, Math.max(remainingNs / left, MIN_ATTEMPT_NS));
            final Socket socket = new Socket();
            try {
                socket.setTcpNoDelay(true);
                socket.connect(new InetSocketAddress(addresses.get(i), target.port()),
                    (int)Math.max(1, attemptNs / 1_000_000));
                return socket;
            } catch (final IOException e) {
                closeQuietly(socket);
                last = e;
            }
        }
        final String why = last == null ? "timed out" : oneLine(last);
        throw new IOException("cannot connect to DERP relay " + target.label() + ": " + why, last);
    }

    /**
     * Runs the TLS handshake over {@code tcp}: SNI and hostname verification against the target's server name,
     * ALPN http/1.1 only. The caller bounds the time (handshake watchdog).
     */
    static SSLSocket startTls(final Socket tcp, final DerpTarget target, final SSLContext context) throws IOException {
        final String name = target.serverName();
        final SSLSocket ssl = (SSLSocket)context.getSocketFactory().createSocket(tcp, name, target.port(), true);
        final SSLParameters params = ssl.getSSLParameters();
        params.setEndpointIdentificationAlgorithm("HTTPS");
        params.setApplicationProtocols(ALPN);
        if (!isIpLiteral(name)) {
            try {
                params.setServerNames(List.of(new SNIHostName(name)));
            } catch (final IllegalArgumentException e) {
                // Not a valid SNI name (e.g. an underscore): send none; the certificate check still uses it.
            }
        }
        ssl.setSSLParameters(params);
        try {
            ssl.startHandshake();
            return ssl;
        } catch (final SSLException e) {
            closeQuietly(ssl);
            final SSLHandshakeException wrapped = new SSLHandshakeException(
                "TLS handshake failed (server name " + name + "): " + oneLine(e));
            wrapped.initCause(e);
            throw wrapped;
        }
    }

    /** The message of {@code e}, or its class name, on one line. */
    static String oneLine(final Throwable e) {
        final String m = e.getMessage();
        final String text = m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
        return text.replace('\n', ' ').replace('\r', ' ');
    }

    static void closeQuietly(final Socket socket) {
        try {
            socket.close();
        } catch (final IOException ignored) {
            // Closing a failed socket: nothing more to do.
        }
    }

    private static List<InetAddress> addresses(final DerpTarget target) throws IOException {
        if (!target.dialAddresses().isEmpty()) {
            return target.dialAddresses();
        }
        try {
            return List.of(InetAddress.getAllByName(target.host()));
        } catch (final UnknownHostException e) {
            throw new IOException("cannot resolve DERP relay host " + target.host() + ": " + oneLine(e), e);
        }
    }

    private static boolean isIpLiteral(final String name) {
        try {
            InetAddress.ofLiteral(name);
            return true;
        } catch (final IllegalArgumentException e) {
            return false;
        }
    }
}
