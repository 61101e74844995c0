package dev.derphole.derp.server;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.ConcurrentHashMap;

import dev.derphole.derp.proto.DerpProtocol;
import dev.derphole.derp.proto.FrameType;
import dev.derphole.derp.proto.NodeKey;

/**
 * The connected clients by node key, with derper's duplicate-key and PeerGone bookkeeping.
 * <p>
 * Lookups ({@link #lookup}) are lock-free reads of a {@link ConcurrentHashMap} and run per packet on every
 * reader thread. All changes (connect, disconnect, a duplicate speaking, a new sender/receiver pair) take one
 * lock; they happen at control-plane rates, at most once per pair of connections for the pair bookkeeping.
 * <p>
 * <b>Duplicates</b> (tailscale {@code derpserver.go registerClient}, policy {@code lastWriterIsActive}): a newer
 * connection for a key becomes active; older ones stay open (reads continue) but receive no packets, and we send
 * them a Health frame saying so. derper itself only has a TODO for that frame (issue 2746), so the text is ours.
 * Whenever a non-active duplicate sends a frame it becomes active again, as in derper. When the active one leaves,
 * the most recently active remaining connection takes over; when one connection remains, its Health is cleared
 * (empty Health frame).
 * <p>
 * <b>PeerGone(disconnected)</b>: when the last connection of key K leaves, every connection that exchanged
 * packets with K gets PeerGone(K, 0). derper tells the clients that K had sent packets to ({@code sawSrc} /
 * {@code notePeerGoneFromRegionLocked}); we additionally tell the clients that had sent packets to K, so a
 * sender learns its destination is gone instead of sending into the void. The pair is recorded once, the first
 * time a sender's packet is queued for a receiving connection ({@link #notePair}), in both directions.
 */
final class ClientRegistry {
    /** Health text sent to a connection that a newer connection with the same key displaced. */
    static final String DUPLICATE_HEALTH_TEXT =
        "duplicate DERP connection: another connection with this node key is now receiving its packets";

    private static final byte[] DUPLICATE_HEALTH = DUPLICATE_HEALTH_TEXT.getBytes(StandardCharsets.UTF_8);
    private static final byte[] EMPTY = new byte[0];

    private final ConcurrentHashMap<NodeKey, ClientSet> sets = new ConcurrentHashMap<>();
    private final Object lock = new Object();
    private final DerpServerCounters counters;

    ClientRegistry(final DerpServerCounters counters) {
        this.counters = counters;
    }

    /** The set for {@code key}, or null when nobody with that key is connected. Lock-free. */
    ClientSet lookup(final NodeKey key) {
        return sets.get(key);
    }

    /** Number of distinct keys connected. */
    int keyCount() {
        return sets.size();
    }

    /** Adds a connection that finished its handshake; it becomes the active one for its key. */
    void register(final ClientConnection c) {
        final boolean duplicate;
        synchronized (lock) {
            ClientSet set = sets.get(c.key);
            if (set == null) {
                set = new ClientSet(c.key);
                sets.put(c.key, set);
            }
            duplicate = !set.members.isEmpty();
            if (duplicate) {
                final ClientConnection displaced = set.active;
                if (displaced != null) {
                    displaced.queue().offerControl(new SendQueue.Control(FrameType.HEALTH, null, 0, DUPLICATE_HEALTH));
                }
                for (final ClientConnection m : set.members) {
                    m.duplicate = true;
                }
                c.duplicate = true;
            }
            set.members.add(c);
            c.set = set;
            c.registered = true;
            set.active = c;
        }
        counters.onClientRegistered(duplicate);
    }

    /** A duplicate connection spoke: derper's last-writer-is-active policy routes the key's packets to it. */
    void noteActivity(final ClientConnection c) {
        synchronized (lock) {
            final ClientSet set = c.set;
            if (!c.registered || set.active == c) {
                return;
            }
            set.members.remove(c);
            set.members.add(c);
            set.active = c;
        }
    }

    /**
     * Records that {@code src} queued a packet for {@code dst}: each will get PeerGone for the other's key when
     * that key leaves.
     *
     * @return false when either has already been unregistered (nothing recorded)
     */
    boolean notePair(final ClientConnection src, final ClientConnection dst) {
        synchronized (lock) {
            if (!src.registered || !dst.registered) {
                return false;
            }
            watch(src, dst.set);
            watch(dst, src.set);
            return true;
        }
    }

    private static void watch(final ClientConnection watcher, final ClientSet watched) {
        if (watcher.set != watched && watched.watchers.add(watcher)) {
            watcher.watching.add(watched);
        }
    }

    /** Removes a connection (idempotent). Sends PeerGone to the watchers when it was its key's last connection. */
    void unregister(final ClientConnection c) {
        synchronized (lock) {
            if (!c.registered) {
                return;
            }
            c.registered = false;
            for (final ClientSet watched : c.watching) {
                watched.watchers.remove(c);
            }
            c.watching.clear();

            final ClientSet set = c.set;
            set.members.remove(c);
            if (set.members.isEmpty()) {
                set.live = false;
                set.active = null;
                sets.remove(set.key, set);
                for (final ClientConnection w : set.watchers) {
                    w.watching.remove(set);
                    w.queue().offerControl(new SendQueue.Control(
                        FrameType.PEER_GONE, set.key, DerpProtocol.PEER_GONE_DISCONNECTED, null));
                }
                set.watchers.clear();
            } else {
                final ClientConnection next = set.members.get(set.members.size() - 1);
                set.active = next;
                if (set.members.size() == 1) {
                    next.duplicate = false;
                    next.queue().offerControl(new SendQueue.Control(FrameType.HEALTH, null, 0, EMPTY));
                }
            }
        }
        counters.onClientUnregistered();
    }
}
