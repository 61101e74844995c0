package dev.derphole.derp.stun;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Loopback helpers for the STUN socket tests. Every wait is bounded. */
final class Loopback {
    static final InetAddress V4 = InetAddress.getLoopbackAddress();
    static final InetAddress V6 = InetAddress.ofLiteral("::1");

    private Loopback() {
    }

    /** @return null when a UDP socket can bind [::1], else why not */
    static String ipv6Unavailable() {
        try (DatagramChannel ch = DatagramChannel.open(StandardProtocolFamily.INET6)) {
            ch.bind(new InetSocketAddress(V6, 0));
            return null;
        } catch (final IOException | UnsupportedOperationException e) {
            return e.toString();
        }
    }

    static DatagramChannel channel(final InetAddress address, final boolean blocking) throws IOException {
        final DatagramChannel ch = DatagramChannel.open(address instanceof java.net.Inet6Address
            ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET);
        ch.bind(new InetSocketAddress(address, 0));
        ch.configureBlocking(blocking);
        return ch;
    }

    /** Receives one datagram on a non-blocking channel within {@code timeout}; null if none came. */
    static InetSocketAddress receive(final DatagramChannel ch, final ByteBuffer into, final Duration timeout)
        throws IOException {
        try (Selector selector = Selector.open()) {
            ch.register(selector, SelectionKey.OP_READ);
            final long deadlineNs = System.nanoTime() + timeout.toNanos();
            while (true) {
                into.clear();
                final InetSocketAddress source = (InetSocketAddress) ch.receive(into);
                if (source != null) {
                    into.flip();
                    return source;
                }
                final long leftMs = (deadlineNs - System.nanoTime()) / 1_000_000;
                if (leftMs <= 0) {
                    return null;
                }
                selector.select(leftMs);
                selector.selectedKeys().clear();
            }
        }
    }

    /** Polls {@code condition} every millisecond for up to {@code timeout}. */
    static boolean await(final BooleanSupplier condition, final Duration timeout) throws InterruptedException {
        final long deadlineNs = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() - deadlineNs < 0) {
            if (condition.getAsBoolean()) {
                return true;
            }
            Thread.sleep(1);
        }
        return condition.getAsBoolean();
    }
}
