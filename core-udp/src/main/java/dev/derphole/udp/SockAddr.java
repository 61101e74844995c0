package dev.derphole.udp;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteOrder;

/**
 * Socket addresses stored the way Linux lays out {@code struct sockaddr_in} / {@code sockaddr_in6}, in a
 * fixed {@link #BYTES}-byte cell, so the FFM engines can hand a {@link PacketBatch}'s address cells straight
 * to {@code sendmmsg}/{@code recvmmsg} as {@code msg_name}. The other engines use the same layout so one
 * batch works with every engine.
 * <p>
 * Layout (x86-64 Linux): {@code family u16 (host order) | port u16 (BE) | } then for IPv4 {@code addr[4]},
 * for IPv6 {@code flowinfo u32 | addr[16] | scope_id u32}. A family of 0 means "no address".
 * <p>
 * Stateless; thread-safe. Encoding and decoding allocate ({@link InetSocketAddress}); the hot paths
 * compare cells with {@link #matches} instead.
 */
public final class SockAddr {
    /** Bytes reserved per address cell (sizeof(sockaddr_in6) = 28, rounded up to 32). */
    public static final int BYTES = 32;
    /** {@code AF_INET} on Linux. */
    public static final int AF_INET = 2;
    /** {@code AF_INET6} on Linux. */
    public static final int AF_INET6 = 10;
    /** {@code sizeof(struct sockaddr_in)}. */
    public static final int IPV4_LENGTH = 16;
    /** {@code sizeof(struct sockaddr_in6)}. */
    public static final int IPV6_LENGTH = 28;

    private static final ValueLayout.OfShort FAMILY = ValueLayout.JAVA_SHORT_UNALIGNED;
    private static final ValueLayout.OfShort PORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED;
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED;

    private SockAddr() {
    }

    /** Writes {@code address} into the cell at {@code offset} (all {@link #BYTES} bytes are written). */
    public static void encode(final InetSocketAddress address, final MemorySegment cell, final long offset) {
        if (address.isUnresolved()) {
            throw new IllegalArgumentException("unresolved address: " + address);
        }
        for (long i = 0; i < BYTES; i += 8) {
            cell.set(LONG, offset + i, 0L);
        }
        final InetAddress ip = address.getAddress();
        cell.set(PORT, offset + 2, (short)address.getPort());
        if (ip instanceof Inet4Address) {
            cell.set(FAMILY, offset, (short)AF_INET);
            MemorySegment.copy(ip.getAddress(), 0, cell, ValueLayout.JAVA_BYTE, offset + 4, 4);
        } else {
            cell.set(FAMILY, offset, (short)AF_INET6);
            MemorySegment.copy(ip.getAddress(), 0, cell, ValueLayout.JAVA_BYTE, offset + 8, 16);
            cell.set(INT, offset + 24, ((Inet6Address)ip).getScopeId());
        }
    }

    /** A new heap cell holding {@code address}: for matching sources against a fixed peer. */
    public static MemorySegment cellOf(final InetSocketAddress address) {
        final MemorySegment cell = MemorySegment.ofArray(new long[BYTES / 8]);
        encode(address, cell, 0);
        return cell;
    }

    /** Clears the cell at {@code offset} to "no address". */
    public static void clear(final MemorySegment cell, final long offset) {
        cell.set(FAMILY, offset, (short)0);
    }

    /** Address family of the cell: {@link #AF_INET}, {@link #AF_INET6} or 0 for none. */
    public static int family(final MemorySegment cell, final long offset) {
        return cell.get(FAMILY, offset) & 0xffff;
    }

    /** Port of the cell's address. */
    public static int port(final MemorySegment cell, final long offset) {
        return cell.get(PORT, offset + 2) & 0xffff;
    }

    /** Native length of the cell's sockaddr ({@code msg_namelen}): 16, 28, or 0 when there is no address. */
    public static int length(final MemorySegment cell, final long offset) {
        return switch (family(cell, offset)) {
            case AF_INET -> IPV4_LENGTH;
            case AF_INET6 -> IPV6_LENGTH;
            default -> 0;
        };
    }

    /**
     * Decodes the cell. Allocates: control plane and tests only.
     *
     * @return the address, or null when the cell holds none (or a family other than IPv4/IPv6)
     */
    public static InetSocketAddress decode(final MemorySegment cell, final long offset) {
        final int family = family(cell, offset);
        try {
            if (family == AF_INET) {
                final byte[] ip = new byte[4];
                MemorySegment.copy(cell, ValueLayout.JAVA_BYTE, offset + 4, ip, 0, 4);
                return new InetSocketAddress(InetAddress.getByAddress(ip), port(cell, offset));
            }
            if (family == AF_INET6) {
                final byte[] ip = new byte[16];
                MemorySegment.copy(cell, ValueLayout.JAVA_BYTE, offset + 8, ip, 0, 16);
                final int scope = cell.get(INT, offset + 24);
                return new InetSocketAddress(Inet6Address.getByAddress(null, ip, scope), port(cell, offset));
            }
        } catch (final UnknownHostException e) {
            throw new IllegalStateException("address of valid length rejected", e);
        }
        return null;
    }

    /**
     * Whether two cells hold the same address: family, port, IP and (IPv6) scope. The IPv6 flow label is
     * ignored: it is not part of the peer's identity. Allocation-free.
     */
    public static boolean matches(final MemorySegment a, final long aOffset, final MemorySegment b,
        final long bOffset) {
        final int family = family(a, aOffset);
        if (family != family(b, bOffset)) {
            return false;
        }
        if (family == AF_INET) {
            return a.get(INT, aOffset) == b.get(INT, bOffset) && a.get(INT, aOffset + 4) == b.get(INT, bOffset + 4);
        }
        if (family == AF_INET6) {
            return a.get(INT, aOffset) == b.get(INT, bOffset)
                && a.get(LONG, aOffset + 8) == b.get(LONG, bOffset + 8)
                && a.get(LONG, aOffset + 16) == b.get(LONG, bOffset + 16)
                && a.get(INT, aOffset + 24) == b.get(INT, bOffset + 24);
        }
        return family == 0;
    }

    /** Copies one cell (four 8-byte moves: cheaper than a bulk copy call for 32 bytes). */
    public static void copy(final MemorySegment from, final long fromOffset, final MemorySegment to,
        final long toOffset) {
        to.set(LONG, toOffset, from.get(LONG, fromOffset));
        to.set(LONG, toOffset + 8, from.get(LONG, fromOffset + 8));
        to.set(LONG, toOffset + 16, from.get(LONG, fromOffset + 16));
        to.set(LONG, toOffset + 24, from.get(LONG, fromOffset + 24));
    }
}
