package dev.derphole.derp.server;

import java.util.ArrayList;
import java.util.HashSet;

import dev.derphole.derp.proto.NodeKey;

/**
 * All connections of one node key (usually exactly one) and the connection packets for that key go to.
 * {@link #active} and {@link #live} are read without a lock on the packet path; everything else is guarded by
 * the {@link ClientRegistry} lock.
 */
final class ClientSet {
    final NodeKey key;

    /** Where packets for {@link #key} go: the newest, or most recently speaking, member. Null once empty. */
    volatile ClientConnection active;

    /** False once the last member left and the set was removed from the registry (a cached reference is stale). */
    volatile boolean live = true;

    /** Members, least recently registered-or-active first; the last one is {@link #active}. Registry lock. */
    final ArrayList<ClientConnection> members = new ArrayList<>(1);

    /** Connections to send PeerGone({@link #key}) when the key leaves this server. Registry lock. */
    final HashSet<ClientConnection> watchers = new HashSet<>();

    ClientSet(final NodeKey key) {
        this.key = key;
    }
}
