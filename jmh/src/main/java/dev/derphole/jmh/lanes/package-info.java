/**
 * JMH benchmarks of the stream engine's per-packet path: the AEAD stage ({@code PacketCodec}), the byte rings
 * and the inbox between threads, the pacer, and the ACK and DATA codecs. Each benchmark is single-threaded
 * unless it declares a {@code @Group} (one producer thread, one consumer thread).
 */
package dev.derphole.jmh.lanes;
