/**
 * The Netty epoll engine ({@code netty-transport-native-epoll} 4.2.18, JNI): the proven fallback when FFM
 * cannot be used, with GSO through {@code SegmentedDatagramPacket} and GRO split by Netty. It runs the
 * socket on its own one-thread event loop and copies received datagrams through a SPSC queue.
 */
package dev.derphole.udp.epoll;
