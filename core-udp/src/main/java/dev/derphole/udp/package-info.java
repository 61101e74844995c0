/**
 * Datagram I/O: the {@link dev.derphole.udp.PacketPath} seam that data planes send over, and the batched
 * UDP engines behind a direct path.
 * <p>
 * {@link dev.derphole.udp.DatagramEngine} is one UDP socket with batched send and receive, GSO on send and
 * GRO on receive, over a {@link dev.derphole.udp.PacketBatch} of off-heap slots allocated once and handed
 * over by index. {@link dev.derphole.udp.DatagramEngines} picks the best implementation the kernel offers:
 * io_uring through FFM ({@code udp.uring}), {@code sendmmsg}/{@code recvmmsg} through FFM ({@code udp.uring}),
 * Netty epoll ({@code udp.epoll}), NIO ({@code udp.nio}); {@code DERPHOLE_UDP_ENGINE} forces one.
 * {@link dev.derphole.udp.DirectUdpPath} puts a {@code PacketPath} over an engine and one peer.
 * <p>
 * Threads: each engine has one owner thread per side (send, receive); counters are single-writer and
 * readable anywhere; per-datagram trouble is counted ({@link dev.derphole.udp.UdpCounter}), never thrown.
 */
package dev.derphole.udp;
