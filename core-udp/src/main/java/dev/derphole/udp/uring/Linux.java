package dev.derphole.udp.uring;

/**
 * Linux ABI constants used by the FFM engines (x86-64 and arm64 share these values). Sources:
 * {@code include/uapi/linux/{socket,in,udp,io_uring,eventfd,time}.h}, {@code asm-generic/{errno*,socket}.h}
 * and {@code bits/socket.h}.
 */
final class Linux {
    // socket(2)
    static final int SOCK_DGRAM = 2;
    static final int SOCK_CLOEXEC = 0x80000;
    static final int IPPROTO_UDP = 17;

    // setsockopt(2) levels and names
    static final int SOL_SOCKET = 1;
    static final int SO_SNDBUF = 7;
    static final int SO_RCVBUF = 8;
    /** Like SO_SNDBUF but ignores {@code wmem_max}; needs CAP_NET_ADMIN. */
    static final int SO_SNDBUFFORCE = 32;
    /** Like SO_RCVBUF but ignores {@code rmem_max}; needs CAP_NET_ADMIN. */
    static final int SO_RCVBUFFORCE = 33;
    /**
     * Stamp each received datagram with the kernel's receive time (int flag): a SCM_TIMESTAMPNS cmsg at level
     * SOL_SOCKET carrying a {@code struct timespec} on CLOCK_REALTIME. 35 is SO_TIMESTAMPNS_OLD, which on LP64
     * (x86-64, arm64's asm-generic) has the 64-bit timespec already.
     */
    static final int SO_TIMESTAMPNS = 35;
    static final int SCM_TIMESTAMPNS = SO_TIMESTAMPNS;
    static final int SOL_UDP = 17;
    static final int IPPROTO_IP = 0;
    static final int IPPROTO_IPV6 = 41;
    /** Path MTU discovery mode (int) for IPv4 and IPv6 sockets. */
    static final int IP_MTU_DISCOVER = 10;
    static final int IPV6_MTU_DISCOVER = 23;
    /** Set DF, never fragment locally, ignore learned path MTUs: datagrams above the interface MTU fail. */
    static final int PMTUDISC_PROBE = 3;
    /** Per-socket or per-message GSO segment size (u16), Linux 4.18+. */
    static final int UDP_SEGMENT = 103;
    /** Receive coalesced super-packets with the segment size in a cmsg (int), Linux 5.0+. */
    static final int UDP_GRO = 104;

    // send/recv flags and msg_flags bits
    static final int MSG_CTRUNC = 0x08;
    static final int MSG_TRUNC = 0x20;
    static final int MSG_DONTWAIT = 0x40;

    // clock_gettime(2)
    static final int CLOCK_REALTIME = 0;

    // poll(2)
    static final short POLLIN = 0x1;

    // eventfd(2)
    static final int EFD_NONBLOCK = 0x800;
    static final int EFD_CLOEXEC = 0x80000;

    // mmap(2)
    static final int PROT_READ = 1;
    static final int PROT_WRITE = 2;
    static final int MAP_SHARED = 1;
    static final int MAP_POPULATE = 0x8000;

    // errno values
    static final int EPERM = 1;
    static final int EINTR = 4;
    static final int EIO = 5;
    static final int EAGAIN = 11;
    static final int EBUSY = 16;
    static final int EINVAL = 22;
    static final int ENOSYS = 38;
    static final int ETIME = 62;
    static final int ENOBUFS = 105;
    static final int ECONNREFUSED = 111;
    static final int ECANCELED = 125;

    // io_uring syscalls (the same number on every architecture)
    static final long SYS_IO_URING_SETUP = 425;
    static final long SYS_IO_URING_ENTER = 426;
    static final long SYS_IO_URING_REGISTER = 427;

    // io_uring_enter flags
    static final int IORING_ENTER_GETEVENTS = 1;
    static final int IORING_ENTER_EXT_ARG = 8;

    // io_uring_setup flags and features
    static final int IORING_SETUP_SUBMIT_ALL = 1 << 7;
    static final int IORING_SETUP_COOP_TASKRUN = 1 << 8;
    static final int IORING_FEAT_SINGLE_MMAP = 1;
    static final int IORING_FEAT_NODROP = 1 << 1;
    static final int IORING_FEAT_EXT_ARG = 1 << 8;

    // mmap offsets of the rings
    static final long IORING_OFF_SQ_RING = 0;
    static final long IORING_OFF_CQ_RING = 0x8000000L;
    static final long IORING_OFF_SQES = 0x10000000L;

    // opcodes
    static final int IORING_OP_POLL_ADD = 6;
    static final int IORING_OP_SENDMSG = 9;
    static final int IORING_OP_RECVMSG = 10;
    static final int IORING_OP_ASYNC_CANCEL = 14;

    // io_uring_register
    static final int IORING_REGISTER_PROBE = 8;
    static final int IO_URING_OP_SUPPORTED = 1;

    // SQE flags: the next SQE starts only after this one succeeded; a failure cancels the rest of the chain
    static final int IOSQE_IO_LINK = 1 << 2;

    // IORING_OP_ASYNC_CANCEL flags
    static final int IORING_ASYNC_CANCEL_ANY = 1 << 2;

    private Linux() {
    }

    /** Short name of an errno for messages, e.g. {@code "EAGAIN"}; the number when unknown. */
    static String errnoName(final int errno) {
        return switch (errno) {
            case EPERM -> "EPERM";
            case EINTR -> "EINTR";
            case EIO -> "EIO";
            case EAGAIN -> "EAGAIN";
            case EBUSY -> "EBUSY";
            case EINVAL -> "EINVAL";
            case ENOSYS -> "ENOSYS";
            case ETIME -> "ETIME";
            case ENOBUFS -> "ENOBUFS";
            case ECONNREFUSED -> "ECONNREFUSED";
            case ECANCELED -> "ECANCELED";
            case 9 -> "EBADF";
            case 12 -> "ENOMEM";
            case 13 -> "EACCES";
            case 24 -> "EMFILE";
            case 90 -> "EMSGSIZE";
            case 97 -> "EAFNOSUPPORT";
            case 98 -> "EADDRINUSE";
            case 99 -> "EADDRNOTAVAIL";
            case 101 -> "ENETUNREACH";
            case 113 -> "EHOSTUNREACH";
            default -> "errno " + errno;
        };
    }
}
