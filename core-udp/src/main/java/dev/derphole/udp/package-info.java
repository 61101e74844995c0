/**
 * Datagram I/O: the {@link dev.derphole.udp.PacketPath} seam that data planes send over, and (with the
 * direct-UDP work) the batched GSO/GRO datagram engines behind it.
 */
package dev.derphole.udp;
