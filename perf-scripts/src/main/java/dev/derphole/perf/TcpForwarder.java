package dev.derphole.perf;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;

/**
 * A plain Java TCP forwarder, the JVM counterpart of socat: {@code TcpForwarder BUFFER_BYTES PORT...} listens on
 * one free loopback port per target port, prints {@code listening P1,P2,...}, and copies every accepted
 * connection to its target and back with blocking reads and writes of up to BUFFER_BYTES. Runs until killed.
 * <p>
 * Threads: one virtual acceptor per port and two virtual copiers per connection, each owning its buffer.
 */
public final class TcpForwarder {
    private TcpForwarder() {
    }

    public static void main(final String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: TcpForwarder BUFFER_BYTES TARGET_PORT...");
            System.exit(2);
        }
        final int buffer = Integer.parseInt(args[0]);
        final InetAddress loopback = InetAddress.getLoopbackAddress();
        final List<ServerSocket> listeners = new ArrayList<>();
        final StringBuilder line = new StringBuilder("listening ");
        for (int i = 1; i < args.length; i++) {
            final ServerSocket s = new ServerSocket();
            s.bind(new InetSocketAddress(loopback, 0));
            listeners.add(s);
            line.append(i == 1 ? "" : ",").append(s.getLocalPort());
        }
        final List<Thread> acceptors = new ArrayList<>();
        for (int i = 0; i < listeners.size(); i++) {
            final ServerSocket s = listeners.get(i);
            final int target = Integer.parseInt(args[i + 1]);
            acceptors.add(Thread.ofVirtual().start(() -> accept(s, new InetSocketAddress(loopback, target), buffer)));
        }
        System.out.println(line);
        System.out.flush();
        for (final Thread t : acceptors) {
            t.join();
        }
    }

    /** The ports of a {@code listening P1,P2,...} line in {@code output}, or null when there is none yet. */
    static List<Integer> parseListening(final String output) {
        for (final String l : output.split("\n")) {
            if (!l.startsWith("listening ")) {
                continue;
            }
            final List<Integer> ports = new ArrayList<>();
            for (final String p : l.substring("listening ".length()).strip().split(",")) {
                try {
                    ports.add(Integer.parseInt(p));
                } catch (final NumberFormatException e) {
                    return null;
                }
            }
            return ports;
        }
        return null;
    }

    private static void accept(final ServerSocket listener, final InetSocketAddress target, final int buffer) {
        while (true) {
            try {
                final Socket in = listener.accept();
                final Socket out = new Socket(target.getAddress(), target.getPort());
                Thread.ofVirtual().start(() -> copy(in, out, buffer));
                Thread.ofVirtual().start(() -> copy(out, in, buffer));
            } catch (final IOException e) {
                return;
            }
        }
    }

    private static void copy(final Socket from, final Socket to, final int bufferBytes) {
        final byte[] buf = new byte[bufferBytes];
        try {
            final InputStream in = from.getInputStream();
            final OutputStream out = to.getOutputStream();
            int n;
            while ((n = in.read(buf)) >= 0) {
                out.write(buf, 0, n);
            }
        } catch (final IOException e) {
            // One side closed: close both below.
        } finally {
            try {
                from.close();
                to.close();
            } catch (final IOException e) {
                // Best effort.
            }
        }
    }
}
