/**
 * The NIO {@code DatagramChannel} engine: the last resort that runs on any JVM and OS, one system call per
 * datagram, no GSO or GRO.
 */
package dev.derphole.udp.nio;
