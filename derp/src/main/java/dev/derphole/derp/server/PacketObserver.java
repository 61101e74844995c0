package dev.derphole.derp.server;

import dev.derphole.derp.proto.NodeKey;

/**
 * Test and diagnostic hook that sees every SendPacket the relay reads, before it is routed, and may drop it.
 * Called on the sending client's reader thread, concurrently from many readers: implementations must be
 * thread-safe, fast and non-blocking, and must not keep {@code buf} (it is reused for the next frame).
 */
@FunctionalInterface
public interface PacketObserver {
    /**
     * @param src source client key
     * @param dst destination key (connected here or not)
     * @param buf holds the packet bytes (without the destination key)
     * @param off offset of the packet in {@code buf}
     * @param len packet length
     * @return true to forward the packet, false to drop it (counted as {@link DropReason#OBSERVER})
     */
    boolean onSendPacket(NodeKey src, NodeKey dst, byte[] buf, int off, int len);
}
