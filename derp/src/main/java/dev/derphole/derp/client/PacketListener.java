package dev.derphole.derp.client;

import dev.derphole.derp.proto.NodeKey;

/**
 * Takes received packets straight from a {@link DerpClient}'s reader thread (see
 * {@link DerpClient#packetListener(PacketListener)}): no copy into a new array, no receive queue, no thread hop.
 * For the bulk packets of a stream engine, which copies each one into its own inbox anyway.
 */
@FunctionalInterface
public interface PacketListener {
    /**
     * Called on the client's reader thread for every packet, in arrival order. Must return quickly: the
     * connection reads nothing else meanwhile. {@code data} is the reader's buffer, valid only during the call:
     * copy what you keep. A listener that throws loses the packet ({@link DropReason#LISTENER_FAILED}).
     *
     * @param source the sender's key as the relay authenticated it
     * @return true when taken; false to have a copy queued for {@link DerpClient#receive} as usual
     */
    boolean onPacket(NodeKey source, byte[] data, int offset, int length);
}
