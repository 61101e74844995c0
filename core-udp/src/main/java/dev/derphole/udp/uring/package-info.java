/**
 * Linux UDP engines driven through Panama FFM ({@code java.lang.foreign}), no JNI:
 * {@link dev.derphole.udp.uring.IoUringUdpEngine} (io_uring SENDMSG/RECVMSG over raw
 * {@code io_uring_setup}/{@code _enter}/{@code _register} syscalls and mmapped rings) and
 * {@link dev.derphole.udp.uring.MmsgUdpEngine} ({@code sendmmsg}/{@code recvmmsg}). Both build their
 * {@code msghdr}s in a preallocated array pointing into the caller's batch, send GSO runs with a
 * {@code UDP_SEGMENT} cmsg and split GRO super-packets by the {@code UDP_GRO} cmsg, without copying payloads.
 * Sockets are made with {@code socket(2)}/{@code setsockopt(2)} through FFM too.
 */
package dev.derphole.udp.uring;
