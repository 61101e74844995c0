package dev.derphole.udp.uring;

import java.net.InetSocketAddress;

import dev.derphole.udp.DatagramEngine;
import dev.derphole.udp.DatagramEngineConfig;
import dev.derphole.udp.EngineCounters;

/**
 * What the two FFM engines share: the socket made by {@link NativeUdpSocket}, its configuration and counters, and
 * the capabilities the socket reported. The engines differ in how they move batches (io_uring submissions or
 * {@code sendmmsg}/{@code recvmmsg}).
 * <p>
 * {@link #gsoDisabled} belongs to the send side (set when the kernel refuses a GSO message at run time).
 */
abstract class NativeSocketEngine implements DatagramEngine {
    protected final DatagramEngineConfig config;
    protected final NativeUdpSocket socket;
    protected final EngineCounters counters = new EngineCounters();
    protected boolean gsoDisabled;

    NativeSocketEngine(final DatagramEngineConfig config, final NativeUdpSocket socket) {
        this.config = config;
        this.socket = socket;
    }

    @Override
    public final DatagramEngineConfig config() {
        return config;
    }

    @Override
    public final InetSocketAddress localAddress() {
        return socket.localAddress;
    }

    @Override
    public final boolean supportsGso() {
        return socket.gsoSupported && !gsoDisabled;
    }

    @Override
    public final boolean groEnabled() {
        return socket.groEnabled;
    }

    @Override
    public final boolean dontFragment() {
        return socket.dontFragment;
    }

    @Override
    public final boolean receiveTimestamps() {
        return socket.receiveTimestamps;
    }

    @Override
    public final EngineCounters counters() {
        return counters;
    }
}
