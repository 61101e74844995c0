package dev.derphole.udp;

import java.io.IOException;
import java.util.Locale;

import dev.derphole.udp.epoll.EpollUdpEngine;
import dev.derphole.udp.nio.NioUdpEngine;
import dev.derphole.udp.uring.IoUringUdpEngine;
import dev.derphole.udp.uring.MmsgUdpEngine;

/**
 * The datagram engines, best first: {@link DatagramEngines} picks the first one available. Each knows
 * whether it can run here and, if not, why.
 */
public enum EngineKind {
    /** io_uring through Panama FFM: SENDMSG/RECVMSG submissions, GSO and GRO. Linux 5.19+. */
    URING("uring") {
        @Override
        public Throwable unavailabilityCause() {
            return IoUringUdpEngine.unavailabilityCause();
        }

        @Override
        public DatagramEngine open(final DatagramEngineConfig config) throws IOException {
            return IoUringUdpEngine.open(config);
        }
    },
    /** {@code sendmmsg}/{@code recvmmsg} through Panama FFM, GSO and GRO. Linux. */
    MMSG("mmsg") {
        @Override
        public Throwable unavailabilityCause() {
            return MmsgUdpEngine.unavailabilityCause();
        }

        @Override
        public DatagramEngine open(final DatagramEngineConfig config) throws IOException {
            return MmsgUdpEngine.open(config);
        }
    },
    /** Netty's epoll transport (JNI): sendmmsg/recvmmsg, GSO and GRO, on its own event-loop thread. */
    EPOLL("epoll") {
        @Override
        public Throwable unavailabilityCause() {
            return EpollUdpEngine.unavailabilityCause();
        }

        @Override
        public DatagramEngine open(final DatagramEngineConfig config) throws IOException {
            return EpollUdpEngine.open(config);
        }
    },
    /** NIO {@code DatagramChannel}: one syscall per datagram, no GSO/GRO. Runs everywhere. */
    NIO("nio") {
        @Override
        public Throwable unavailabilityCause() {
            return null;
        }

        @Override
        public DatagramEngine open(final DatagramEngineConfig config) throws IOException {
            return NioUdpEngine.open(config);
        }
    };

    private final String label;

    EngineKind(final String label) {
        this.label = label;
    }

    /** The name used by {@code DERPHOLE_UDP_ENGINE}: {@code uring}, {@code mmsg}, {@code epoll}, {@code nio}. */
    public String label() {
        return label;
    }

    /** Why the engine cannot run here, or null when it can. */
    public abstract Throwable unavailabilityCause();

    /** Whether the engine can run here. */
    public boolean isAvailable() {
        return unavailabilityCause() == null;
    }

    /** Opens an engine of this kind. */
    public abstract DatagramEngine open(DatagramEngineConfig config) throws IOException;

    /**
     * Whether the engine honours {@link DatagramEngineConfig#dontFragment()} (the FFM engines, which set the
     * socket option themselves; Netty epoll and NIO expose no such option).
     */
    public boolean setsDontFragment() {
        return this == URING || this == MMSG;
    }

    /**
     * Parses a label (case-insensitive).
     *
     * @throws IllegalArgumentException for an unknown name
     */
    public static EngineKind parse(final String name) {
        final String wanted = name.trim().toLowerCase(Locale.ROOT);
        for (final EngineKind kind : values()) {
            if (kind.label.equals(wanted)) {
                return kind;
            }
        }
        throw new IllegalArgumentException("unknown UDP engine '" + name + "' (expected uring, mmsg, epoll or nio)");
    }
}
