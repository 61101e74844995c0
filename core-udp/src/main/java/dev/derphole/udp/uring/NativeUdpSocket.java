package dev.derphole.udp.uring;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.Inet6Address;
import java.net.InetSocketAddress;

import dev.derphole.udp.DatagramEngineConfig;
import dev.derphole.udp.SockAddr;

/**
 * A UDP socket made with {@code socket(2)} and configured with {@code setsockopt(2)} through FFM: buffer
 * sizes ({@code SO_RCVBUFFORCE} when privileged, else {@code SO_RCVBUF}), optional {@code connect}, {@code UDP_GRO},
 * {@code SO_TIMESTAMPNS} (kernel receive stamps), and a probe for {@code UDP_SEGMENT} (GSO). It also owns an
 * {@code eventfd} that {@link #wake()} signals so a thread blocked in {@code poll} or {@code io_uring_enter}
 * returns when the engine closes.
 * <p>
 * The socket is blocking: sends wait for socket-buffer room rather than fail, and receives pass
 * {@code MSG_DONTWAIT} themselves. Created by the engine's constructor thread; the fds are then used by the
 * engine's send and receive sides and closed through the engine's {@link ResourceGuard}.
 */
final class NativeUdpSocket {
    final int fd;
    final int wakeFd;
    final int family;
    final InetSocketAddress localAddress;
    final boolean gsoSupported;
    final boolean groEnabled;
    final boolean dontFragment;
    final boolean receiveTimestamps;

    private NativeUdpSocket(
        final int fd, final int wakeFd, final int family, final InetSocketAddress localAddress,
        final boolean gsoSupported, final boolean groEnabled, final boolean dontFragment,
        final boolean receiveTimestamps) {
        this.dontFragment = dontFragment;
        this.receiveTimestamps = receiveTimestamps;
        this.fd = fd;
        this.wakeFd = wakeFd;
        this.family = family;
        this.localAddress = localAddress;
        this.gsoSupported = gsoSupported;
        this.groEnabled = groEnabled;
    }

    /** Creates, configures, binds (and connects) a socket as {@code config} says. */
    static NativeUdpSocket open(final DatagramEngineConfig config) throws IOException {
        final InetSocketAddress bind = config.bindAddress();
        final int family = bind.getAddress() instanceof Inet6Address ? SockAddr.AF_INET6 : SockAddr.AF_INET;
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment state = LinuxCalls.newCallState(arena);
            final int fd = LinuxCalls.socket(state, family, Linux.SOCK_DGRAM | Linux.SOCK_CLOEXEC, Linux.IPPROTO_UDP);
            if (fd < 0) {
                throw new IOException("socket() failed: " + LinuxCalls.describe(LinuxCalls.errno(state)));
            }
            int wakeFd = -1;
            try {
                final MemorySegment intValue = arena.allocate(ValueLayout.JAVA_INT);
                setBuffer(state, fd, Linux.SO_RCVBUFFORCE, Linux.SO_RCVBUF, config.socketReceiveBufferBytes(),
                    intValue);
                setBuffer(state, fd, Linux.SO_SNDBUFFORCE, Linux.SO_SNDBUF, config.socketSendBufferBytes(), intValue);

                final MemorySegment address = arena.allocate(SockAddr.BYTES, 8);
                SockAddr.encode(bind, address, 0);
                if (LinuxCalls.bind(state, fd, address, SockAddr.length(address, 0)) < 0) {
                    throw new IOException("bind " + bind + " failed: " + LinuxCalls.describe(LinuxCalls.errno(state)));
                }
                final InetSocketAddress remote = config.connectAddress();
                if (remote != null) {
                    SockAddr.encode(remote, address, 0);
                    if (LinuxCalls.connect(state, fd, address, SockAddr.length(address, 0)) < 0) {
                        throw new IOException(
                            "connect " + remote + " failed: " + LinuxCalls.describe(LinuxCalls.errno(state)));
                    }
                }

                boolean gro = false;
                if (config.gro()) {
                    intValue.set(ValueLayout.JAVA_INT, 0, 1);
                    gro = LinuxCalls.setsockopt(state, fd, Linux.SOL_UDP, Linux.UDP_GRO, intValue, 4) == 0;
                }
                boolean dontFragment = false;
                if (config.dontFragment()) {
                    intValue.set(ValueLayout.JAVA_INT, 0, Linux.PMTUDISC_PROBE);
                    dontFragment = family == SockAddr.AF_INET6
                        ? LinuxCalls.setsockopt(state, fd, Linux.IPPROTO_IPV6, Linux.IPV6_MTU_DISCOVER, intValue,
                            4) == 0
                        : LinuxCalls.setsockopt(state, fd, Linux.IPPROTO_IP, Linux.IP_MTU_DISCOVER, intValue, 4) == 0;
                }
                // Kernel receive stamps, so receive spacing survives a receiving thread's scheduling delays (the
                // kernel then reads the clock for every packet it receives, ~20 ns). If it refuses, datagrams simply
                // come without stamps.
                boolean stamps = false;
                if (config.receiveTimestamps()) {
                    intValue.set(ValueLayout.JAVA_INT, 0, 1);
                    stamps =
                        LinuxCalls.setsockopt(state, fd, Linux.SOL_SOCKET, Linux.SO_TIMESTAMPNS, intValue, 4) == 0;
                }
                // Kernels that know UDP_SEGMENT (4.18+) answer getsockopt with the current size (0).
                final MemorySegment length = arena.allocate(ValueLayout.JAVA_INT);
                length.set(ValueLayout.JAVA_INT, 0, 4);
                final boolean gso = LinuxCalls.getsockopt(state, fd, Linux.SOL_UDP, Linux.UDP_SEGMENT, intValue,
                    length) == 0;

                length.set(ValueLayout.JAVA_INT, 0, SockAddr.BYTES);
                if (LinuxCalls.getsockname(state, fd, address, length) < 0) {
                    throw new IOException("getsockname failed: " + LinuxCalls.describe(LinuxCalls.errno(state)));
                }
                final InetSocketAddress local = SockAddr.decode(address, 0);

                wakeFd = LinuxCalls.eventfd(state, 0, Linux.EFD_CLOEXEC | Linux.EFD_NONBLOCK);
                if (wakeFd < 0) {
                    throw new IOException("eventfd failed: " + LinuxCalls.describe(LinuxCalls.errno(state)));
                }
                return new NativeUdpSocket(fd, wakeFd, family, local, gso, gro, dontFragment, stamps);
            } catch (final IOException | RuntimeException e) {
                LinuxCalls.close(state, fd);
                if (wakeFd >= 0) {
                    LinuxCalls.close(state, wakeFd);
                }
                throw e;
            }
        }
    }

    /**
     * Sets a socket buffer size: first with the FORCE option, which is not capped by {@code rmem_max} /
     * {@code wmem_max} but needs CAP_NET_ADMIN (what Tailscale does too), else with the plain option, which the
     * kernel caps. Either way the kernel doubles the value for its bookkeeping.
     */
    private static void setBuffer(
        final MemorySegment state, final int fd, final int forceName, final int name, final int bytes,
        final MemorySegment scratch) throws IOException {
        scratch.set(ValueLayout.JAVA_INT, 0, bytes);
        if (LinuxCalls.setsockopt(state, fd, Linux.SOL_SOCKET, forceName, scratch, 4) != 0) {
            setInt(state, fd, Linux.SOL_SOCKET, name, bytes, scratch, name == Linux.SO_RCVBUF ? "SO_RCVBUF"
                : "SO_SNDBUF");
        }
    }

    private static void setInt(
        final MemorySegment state, final int fd, final int level, final int name, final int value,
        final MemorySegment scratch, final String label) throws IOException {
        scratch.set(ValueLayout.JAVA_INT, 0, value);
        if (LinuxCalls.setsockopt(state, fd, level, name, scratch, 4) < 0) {
            throw new IOException("setsockopt " + label + " failed: " + LinuxCalls.describe(LinuxCalls.errno(state)));
        }
    }

    /** Makes {@link #wakeFd} readable. Must run while the fds are valid (under the guard). */
    void wake(final MemorySegment state, final MemorySegment eightBytes) {
        eightBytes.set(ValueLayout.JAVA_LONG, 0, 1L);
        LinuxCalls.write(state, wakeFd, eightBytes, 8);
    }

    /** Closes both fds. Only from the guard's close action. */
    void closeFds(final MemorySegment state) {
        LinuxCalls.close(state, fd);
        LinuxCalls.close(state, wakeFd);
    }
}
