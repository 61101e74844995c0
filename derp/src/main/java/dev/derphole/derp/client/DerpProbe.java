package dev.derphole.derp.client;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;

import javax.net.ssl.SSLContext;

import dev.derphole.crypto.nacl.Curve25519KeyPair;

/**
 * Netcheck measurements of a relay over the same dial, TLS and handshake code as {@link DerpClient}. Stateless and
 * thread-safe; every call opens and closes its own connection.
 */
public final class DerpProbe {
    /** derper's latency endpoint (tailscale netcheck {@code measureHTTPSLatency}). */
    public static final String LATENCY_PATH = "/derp/latency-check";

    /** Older name of the same endpoint, tried when the relay does not know {@link #LATENCY_PATH}. */
    public static final String PROBE_PATH = "/derp/probe";

    private static final int HTTP_NOT_FOUND = 404;

    /** What one HTTP round trip measured. */
    private record Exchange(int status, String statusText, long rttNs) {
    }

    private DerpProbe() {
    }

    /** {@link #latencyCheck(DerpTarget, Duration, SSLContext)} with the default WebPKI trust. */
    public static Duration latencyCheck(final DerpTarget target, final Duration timeout) throws IOException {
        return latencyCheck(target, timeout, DerpTls.defaultContext());
    }

    /**
     * Connects (TCP, then TLS when https) and times one {@code GET /derp/latency-check} from request to status
     * line, as Tailscale's netcheck does; falls back to {@code /derp/probe} when the relay answers 404. The whole
     * check, both attempts included, stays within {@code timeout}.
     *
     * @return the HTTP round-trip time on the open connection
     * @throws IOException one line naming the relay: unreachable, TLS failure, non-2xx answer or timeout
     */
    public static Duration latencyCheck(final DerpTarget target, final Duration timeout, final SSLContext ssl)
        throws IOException {
        final long deadlineNs = System.nanoTime() + timeout.toNanos();
        Exchange e = exchange(target, LATENCY_PATH, deadlineNs, ssl);
        if (e.status() == HTTP_NOT_FOUND) {
            e = exchange(target, PROBE_PATH, deadlineNs, ssl);
        }
        if (e.status() < 200 || e.status() > 299) {
            throw new IOException(
                "DERP relay " + target.label() + " answered " + e.statusText() + " to its latency check");
        }
        return Duration.ofNanos(e.rttNs());
    }

    /** {@link #handshakeCheck(DerpTarget, Duration, SSLContext)} with the default WebPKI trust. */
    public static Duration handshakeCheck(final DerpTarget target, final Duration timeout) throws IOException {
        return handshakeCheck(target, timeout, DerpTls.defaultContext());
    }

    /**
     * Connects with a throwaway key, runs the full DERP handshake (TLS, upgrade, ServerKey, ClientInfo,
     * ServerInfo) and closes.
     *
     * @return time from the start of the TCP connect to the received ServerInfo
     * @throws IOException as {@link DerpClient#connect()} would
     */
    public static Duration handshakeCheck(final DerpTarget target, final Duration timeout, final SSLContext ssl)
        throws IOException {
        try (DerpConnection c = DerpConnection.open(
            target, Curve25519KeyPair.generate(), true, timeout, timeout, timeout, ssl)) {
            return Duration.ofNanos(c.setupNs);
        }
    }

    private static Exchange exchange(final DerpTarget target, final String path, final long deadlineNs,
        final SSLContext ssl) throws IOException {
        final Duration connectBudget = remaining(target, deadlineNs);
        final Socket tcp = DerpDialer.connectTcp(target, connectBudget);
        final DerpConnection.Watchdog watchdog = new DerpConnection.Watchdog(tcp, remaining(target, deadlineNs));
        try {
            final Socket io = target.https() ? DerpDialer.startTls(tcp, target, ssl) : tcp;
            final InputStream in = new BufferedInputStream(io.getInputStream(), 8 << 10);
            final OutputStream out = io.getOutputStream();
            final byte[] request = HttpHead.getRequest(target, path);
            final long startNs = System.nanoTime();
            out.write(request);
            out.flush();
            final HttpHead.Response response = HttpHead.read(in);
            final long rttNs = System.nanoTime() - startNs;
            if (!watchdog.cancel()) {
                throw new SocketTimeoutException("latency check timed out");
            }
            return new Exchange(response.status(), response.statusText(), rttNs);
        } catch (final IOException | RuntimeException e) {
            watchdog.cancel();
            if (watchdog.fired()) {
                throw DerpConnection.labelled(target, new SocketTimeoutException("latency check timed out"));
            }
            throw DerpConnection.labelled(target, e);
        } finally {
            DerpDialer.closeQuietly(tcp);
        }
    }

    private static Duration remaining(final DerpTarget target, final long deadlineNs) throws SocketTimeoutException {
        final long ns = deadlineNs - System.nanoTime();
        if (ns <= 0) {
            throw new SocketTimeoutException(
                "cannot connect to DERP relay " + target.label() + ": latency check timed out");
        }
        return Duration.ofNanos(ns);
    }
}
