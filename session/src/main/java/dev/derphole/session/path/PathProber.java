package dev.derphole.session.path;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Finds, promotes and watches the direct path. While probing, it sends a PROBE to every peer address every
 * {@link #PROBE_INTERVAL_MS}, for {@link #PROBE_PHASE_MS} after the last reason to probe: the start, a candidate
 * update from the peer ({@link #updatePeers}), or a valid PROBE from the peer (whose source, when new, is probed
 * too: a peer-reflexive address its NAT chose for us). Until then it idles. A valid PROBE from the peer before a
 * path is validated is also answered with a PROBE of our own at once (ICE's triggered check): the peer's NAT has
 * just opened for us, and waiting for the next interval left the side that probed second promoting up to a whole
 * interval later than the other, with the other's first stream datagrams held until then. The first address
 * a valid ACK comes from becomes the direct path ({@link Listener#onDirect}) at once (the probing loop waits on
 * it, not on a timer) with {@link UdpEndpoint#initialDatagramBytes()}-byte datagrams; then padded probes of the
 * {@link #MTU_LADDER} sizes go out, and the largest one acknowledged within a few round trips becomes the path's
 * datagram size ({@link DirectPath#resize}); unless that is the top, the
 * ladder goes out again {@link #REMEASURE_AFTER_MS} later and a larger answer grows the size. Only ACKs count: a PROBE
 * proves just one direction, and a path that works one way only would swallow the stream. Then it sends a PROBE
 * to that address every {@link #HEARTBEAT_MS}; when no valid ACK has come from it for {@link #DEAD_AFTER_MS},
 * the session falls back to the relay ({@link Listener#onFallback}) and the prober keeps knocking every
 * {@link #RECOVERY_PROBE_MS}, on that address and on the peer's others: after {@link #RECOVERY_ACKS} answers from
 * the lost address the same path is promoted again (a NAT binding or a firewall rule came back), or from another
 * one, that one is (the lost address was one the peer's NAT made for us and has forgotten, e.g. a conntrack entry
 * created in the moment a port mapping appeared, while the peer's mapped address works), for as long as the
 * session lasts. Every valid PROBE is answered with an ACK to its source, whatever the state. Invalid packets are
 * counted and dropped.
 * <p>
 * Threads: one daemon thread ({@code derphole-path-prober}) sends and calls the listener; the endpoint's
 * receive thread calls {@link #onProbe}. {@link #close} from any thread.
 */
public final class PathProber implements AutoCloseable {
    /** Probe spacing while looking for a direct path, in ms. */
    public static final long PROBE_INTERVAL_MS = 50;
    /** How long to look for a direct path before staying on the relay, in ms. */
    public static final long PROBE_PHASE_MS = 10_000;
    /** Probe spacing on the promoted path (the heartbeat), in ms. */
    public static final long HEARTBEAT_MS = 250;
    /** Silence on the promoted path after which it counts as dead, in ms. */
    public static final long DEAD_AFTER_MS = 2_000;
    /** Probe spacing towards a dead direct path, in ms, and answers in a row that bring it back. */
    public static final long RECOVERY_PROBE_MS = 500;
    public static final int RECOVERY_ACKS = 3;
    /** Most addresses probed at once: the peer's candidates and a few learned from its probes. */
    static final int MAX_PEERS = 40;
    /** While idle (no path, nothing new to probe), how often the prober looks at its state anyway, in ms. */
    private static final long IDLE_CHECK_MS = 1_000;

    /**
     * Datagram sizes tried above {@link UdpEndpoint#MIN_DATAGRAM_BYTES} once the path answers: WireGuard's 1420-byte
     * MTU less IPv6 and UDP headers, 1,400 (a 1500-byte MTU with room for PPPoE or a tunnel header), a full
     * 1500-byte MTU less IPv6 and UDP headers, the same less IPv4's (20 bytes more per datagram: 1.4 % fewer
     * datagrams for the same bytes, and 0.05 % more of the link for data), a 9000-byte jumbo MTU less IPv6 and UDP
     * headers, and a 64 KiB MTU (loopback, some virtual links). The largest one that comes back acknowledged is the
     * direct path's datagram size.
     */
    static final int[] MTU_LADDER =
        {1372, UdpEndpoint.DIRECT_DATAGRAM_BYTES, 1452, 1472, 8952, UdpEndpoint.MAX_DATAGRAM_BYTES};
    /** Bounds of the wait for the ladder's answers, in ms; in between it is {@link #MTU_WAIT_RTTS} round trips. */
    static final long MTU_WAIT_MIN_MS = 100;
    static final long MTU_WAIT_MAX_MS = 500;
    static final int MTU_WAIT_RTTS = 4;
    /** When the path MTU is measured again after promotion (in ms on the promoted path), unless it is at the top. */
    static final long[] REMEASURE_AFTER_MS = {1_000, 4_000};

    /** Called on the prober's thread. */
    public interface Listener {
        /** A direct path was validated, or came back after a fallback (the same path): attach it, switch to it. */
        void onDirect(DirectPath path);

        /**
         * Before any path is validated, a valid PROBE came from the peer at {@code path}'s address: the peer reaches
         * us there and may promote it (when our ACK reaches it) before we do. A receiver may attach it now, so the
         * peer's first stream datagrams are taken (and authenticated, and answered on the path they came from)
         * instead of waiting for our own validation; nothing may be sent on it yet. If that address is validated
         * later, {@link #onDirect} gets this same path. Not a default method, so a wrapping listener cannot drop it
         * without saying so; a sender ignores it.
         */
        void onPeerHeard(DirectPath path);

        /** The direct path went quiet: go back to the relay (it may come back: {@link #onDirect} again). */
        void onFallback();
    }

    private final UdpEndpoint endpoint;
    private final ProbeCodec codec;
    /** The addresses probed: the peer's candidates, then addresses its valid probes came from. Copy on write. */
    private volatile List<InetSocketAddress> peers;
    private final long probePhaseNs;
    private final long probeIntervalMs;
    private volatile long probeDeadlineNs;
    private final Object wake = new Object();
    private final Listener listener;
    private final AtomicReference<InetSocketAddress> validated = new AtomicReference<>();
    /** The first address a valid PROBE came from before validation (receive thread sets it, once). */
    private final AtomicReference<InetSocketAddress> heard = new AtomicReference<>();
    /** The path handed to {@link Listener#onPeerHeard} (prober thread only). */
    private DirectPath heardPath;
    private final AtomicLong invalid = new AtomicLong();
    private final AtomicLong valid = new AtomicLong();
    private final AtomicInteger largestAnsweredSize = new AtomicInteger();
    private final AtomicLong acksFromChosen = new AtomicLong();
    private final AtomicLong recoveries = new AtomicLong();
    /**
     * While recovering: the peer's other addresses that answered since the fallback, each with its own count. One
     * per address, not just the first to answer: a second address the peer's NAT made for us may answer once or
     * twice and die too, and must not shut out the candidate that answers from then on.
     */
    private final ConcurrentHashMap<InetSocketAddress, Answers> alternatives = new ConcurrentHashMap<>();
    private volatile boolean recovering;
    private final ConcurrentHashMap<Long, Long> probeSentNs = new ConcurrentHashMap<>();
    private volatile long firstRttNs = -1;
    private volatile int datagramBytes;
    private final Thread thread;
    private volatile LaneResponder lanes;
    private volatile long lastHeardNs;
    private volatile boolean closed;

    public PathProber(final UdpEndpoint endpoint, final ProbeCodec codec, final List<InetSocketAddress> peers,
        final Listener listener) {
        this(endpoint, codec, peers, listener, PROBE_PHASE_MS);
    }

    /** With a probing phase of {@code probePhaseMs} (tests). */
    PathProber(final UdpEndpoint endpoint, final ProbeCodec codec, final List<InetSocketAddress> peers,
        final Listener listener, final long probePhaseMs) {
        this(endpoint, codec, peers, listener, probePhaseMs, PROBE_INTERVAL_MS);
    }

    /** With a probing phase of {@code probePhaseMs} and probes every {@code probeIntervalMs} (tests). */
    PathProber(final UdpEndpoint endpoint, final ProbeCodec codec, final List<InetSocketAddress> peers,
        final Listener listener, final long probePhaseMs, final long probeIntervalMs) {
        this.probeIntervalMs = probeIntervalMs;
        this.endpoint = endpoint;
        this.codec = codec;
        this.peers = List.copyOf(peers);
        this.listener = listener;
        this.probePhaseNs = TimeUnit.MILLISECONDS.toNanos(probePhaseMs);
        this.probeDeadlineNs = System.nanoTime() + probePhaseNs;
        this.thread = Thread.ofPlatform().daemon().name("derphole-path-prober").unstarted(this::run);
    }

    /** Installs the probe receiver and starts probing. */
    public PathProber start() {
        endpoint.probes(this::onProbe);
        thread.start();
        return this;
    }

    /** Probe packets that failed verification (forged, replayed, malformed, another session). */
    public long invalidProbes() {
        return invalid.get();
    }

    /** Probe packets that verified. */
    public long validProbes() {
        return valid.get();
    }

    /** Lane packets (0x82..0x84) arriving on this socket go to {@code responder}; without one they are refused. */
    public PathProber lanes(final LaneResponder responder) {
        lanes = responder;
        return this;
    }

    private void onProbe(final InetSocketAddress source, final byte[] buffer, final int offset, final int length) {
        if (length > 0 && ProbeCodec.isLaneKind(buffer[offset] & 0xff)) {
            final LaneResponder responder = lanes;
            if (responder != null) {
                responder.onLanePacket(source, buffer, offset, length);
            } else {
                invalid.incrementAndGet();
            }
            return;
        }
        final ProbeCodec.Verified v = codec.verify(buffer, offset, length);
        if (v == null) {
            invalid.incrementAndGet();
            return;
        }
        valid.incrementAndGet();
        if (v.kind() == ProbeCodec.PROBE) {
            endpoint.sendTo(source, codec.ack(v.sequence(), v.size()));
            // A PROBE only shows that the peer reaches us; an ACK shows that our packets reach it and come back.
            // Its source is an address of the peer's (maybe one its NAT chose just for us, which no candidate
            // names): probe it too, and probe again if we had stopped, so both sides find the path.
            if (validated.get() == null) {
                learnPeer(source);
                sendProbe(source, codec.probe());
                if (heard.compareAndSet(null, source)) {
                    synchronized (wake) {
                        wake.notifyAll(); // the prober thread hands the path to the listener
                    }
                }
            }
            return;
        }
        final long nowNs = System.nanoTime();
        final InetSocketAddress chosen = validated.get();
        if (recovering && chosen != null && !chosen.equals(source) && peers.contains(source)) {
            // A few answers a second while recovering: an allocation per new address is nothing here.
            alternatives.computeIfAbsent(source, a -> new Answers()).heard(nowNs);
            return;
        }
        if (chosen == null || chosen.equals(source)) {
            lastHeardNs = nowNs;
            acksFromChosen.incrementAndGet();
            largestAnsweredSize.accumulateAndGet(v.size(), Math::max);
            final Long sentNs = probeSentNs.get(v.echo());
            if (sentNs != null && firstRttNs < 0) {
                firstRttNs = nowNs - sentNs;
            }
            // Published last, so the probing loop, woken now rather than after its interval, sees the RTT too.
            if (chosen == null && validated.compareAndSet(null, source)) {
                synchronized (wake) {
                    wake.notifyAll();
                }
            }
        }
    }

    private void sendLadder(final InetSocketAddress peer) {
        for (final int size : MTU_LADDER) {
            endpoint.sendTo(peer, codec.probe(size));
        }
    }

    /** The direct path's datagram size once promoted (0 before). */
    public int datagramBytes() {
        return datagramBytes;
    }

    private void sendProbe(final InetSocketAddress peer, final byte[] probe) {
        // Only the probing phase's probes are timed (a few hundred at most), for the ladder's wait.
        probeSentNs.putIfAbsent(ProbeCodec.sequenceOf(probe), System.nanoTime());
        endpoint.sendTo(peer, probe);
    }

    /**
     * Path MTU: sends the ladder's padded probes to {@code peer} and waits a few round trips for their ACKs
     * (ending early once the largest answers). A probe of an answered size crossed unfragmented from us to the
     * peer: that is the direction our stream datagrams take (the peer measures its own).
     */
    private int discoverDatagramBytes(final InetSocketAddress peer) throws InterruptedException {
        if (!endpoint.probesPathMtu()) {
            return UdpEndpoint.DIRECT_DATAGRAM_BYTES; // no don't-fragment: nothing to measure
        }
        final long rttNs = Math.max(0, firstRttNs);
        final long waitNs = Math.clamp(MTU_WAIT_RTTS * rttNs, TimeUnit.MILLISECONDS.toNanos(MTU_WAIT_MIN_MS),
            TimeUnit.MILLISECONDS.toNanos(MTU_WAIT_MAX_MS));
        final int top = MTU_LADDER[MTU_LADDER.length - 1];
        largestAnsweredSize.set(0);
        final long startNs = System.nanoTime();
        boolean resent = false;
        sendLadder(peer);
        // Minimum 100 ms: on a loaded machine the peer's JVM may be busy (JIT, GC) for tens of ms. Each size goes
        // out again halfway, so one lost probe does not cost the size.
        while (!closed && largestAnsweredSize.get() < top && System.nanoTime() - startNs < waitNs) {
            if (!resent && System.nanoTime() - startNs >= waitNs / 2) {
                sendLadder(peer);
                resent = true;
            }
            Thread.sleep(1);
        }
        return Math.max(UdpEndpoint.MIN_DATAGRAM_BYTES, Math.min(top, largestAnsweredSize.get()));
    }

    /**
     * Replaces the peer's candidates (a candidate update relayed after the rendezvous: a late STUN answer, a port
     * mapping) and, unless a path is already validated, probes them for another {@link #PROBE_PHASE_MS}. Any
     * thread.
     */
    public void updatePeers(final List<InetSocketAddress> candidates) {
        final List<InetSocketAddress> next = new ArrayList<>(candidates.size());
        for (final InetSocketAddress c : candidates) {
            if (!next.contains(c) && next.size() < MAX_PEERS) {
                next.add(c);
            }
        }
        peers = List.copyOf(next);
        PathTrace.log("peers updated: %s", next);
        restartProbing();
    }

    /** The addresses being probed now. */
    public List<InetSocketAddress> peers() {
        return peers;
    }

    private void learnPeer(final InetSocketAddress source) {
        final List<InetSocketAddress> current = peers;
        if (!current.contains(source) && current.size() < MAX_PEERS) {
            final List<InetSocketAddress> next = new ArrayList<>(current);
            next.add(source);
            peers = List.copyOf(next);
            PathTrace.log("peer learned from its probe: %s", source);
        }
        restartProbing();
    }

    private void restartProbing() {
        synchronized (wake) {
            probeDeadlineNs = Math.max(probeDeadlineNs, System.nanoTime() + probePhaseNs);
            wake.notifyAll();
        }
    }

    /**
     * Probes every peer address until one answers, for {@link #PROBE_PHASE_MS} after the last reason to probe (the
     * start, a candidate update, a probe from the peer); in between it waits for such a reason. Null when closed.
     */
    private InetSocketAddress probeUntilValidated() throws InterruptedException {
        while (!closed) {
            while (!closed && validated.get() == null && System.nanoTime() < probeDeadlineNs) {
                for (final InetSocketAddress peer : peers) {
                    sendProbe(peer, codec.probe());
                }
                awaitValidation(probeIntervalMs);
            }
            final InetSocketAddress chosen = validated.get();
            if (chosen != null || closed) {
                return chosen;
            }
            synchronized (wake) {
                while (!closed && validated.get() == null && System.nanoTime() >= probeDeadlineNs) {
                    wake.wait(IDLE_CHECK_MS);
                }
            }
        }
        return null;
    }

    /**
     * Waits up to {@code ms} for the first valid ACK, handing the listener the path to the peer once it is heard
     * ({@link #announceHeard}) on the way. A sleep here held a validated path back for the rest of the interval:
     * 25 ms on average before {@code connected-direct}, on each side.
     */
    private void awaitValidation(final long ms) throws InterruptedException {
        final long endNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms);
        while (!closed && validated.get() == null) {
            synchronized (wake) {
                long leftNs;
                while (!closed && validated.get() == null && !heardPending()
                    && (leftNs = endNs - System.nanoTime()) > 0) {
                    TimeUnit.NANOSECONDS.timedWait(wake, leftNs);
                }
            }
            if (!heardPending() || closed || validated.get() != null) {
                return; // validated, closed or out of time
            }
            announceHeard(); // at most once: then nothing is pending and the wait goes on
        }
    }

    /** Prober thread: a peer address was heard and not yet handed to the listener. */
    private boolean heardPending() {
        return heardPath == null && heard.get() != null;
    }

    /**
     * Prober thread: hands the path to the first address the peer's valid PROBEs came from to the listener
     * ({@link Listener#onPeerHeard}). Only while nothing is validated (then {@link #run} promotes that path).
     */
    private void announceHeard() {
        heardPath = endpoint.promote(heard.get(), endpoint.initialDatagramBytes());
        listener.onPeerHeard(heardPath);
    }

    private void run() {
        try {
            InetSocketAddress chosen = probeUntilValidated();
            if (closed || chosen == null) {
                return;
            }
            probeSentNs.clear();
            // Promote at the size every path carries at once, then measure: on most paths the larger probes
            // are never answered, and waiting for that would hold the stream on the relay for the whole wait.
            datagramBytes = endpoint.initialDatagramBytes();
            // The path the listener may have attached when the peer was first heard, if this is its address.
            DirectPath path = heardPath != null && heardPath.remote().equals(chosen) ? heardPath
                : endpoint.promote(chosen, datagramBytes);
            path.rttHint(firstRttNs);
            PathTrace.log("direct: %s (first rtt %d us)", chosen, firstRttNs / 1_000);
            listener.onDirect(path);
            datagramBytes = discoverDatagramBytes(chosen);
            path.resize(datagramBytes);
            PathTrace.log("datagram size: %d", datagramBytes);
            while (!closed) {
                watchUntilDead(chosen, path);
                if (closed) {
                    return;
                }
                PathTrace.log("dead: %s", chosen);
                listener.onFallback();
                final InetSocketAddress back = awaitRecovery(chosen);
                if (back == null) {
                    return;
                }
                recoveries.incrementAndGet();
                // The path may have changed under us: start again from the size every path carries and remeasure.
                datagramBytes = endpoint.initialDatagramBytes();
                if (back.equals(chosen)) {
                    path.resize(datagramBytes);
                } else {
                    // Another of the peer's addresses answers: it becomes the path (its ACKs count from now on).
                    chosen = back;
                    lastHeardNs = alternatives.get(back).lastNs;
                    validated.set(back);
                    path = endpoint.promote(back, datagramBytes);
                }
                PathTrace.log("recovered: %s", chosen);
                listener.onDirect(path);
                datagramBytes = discoverDatagramBytes(chosen);
                path.resize(datagramBytes);
            }
        } catch (final InterruptedException e) {
            // Closed.
        }
    }

    /** Heartbeats the promoted path until no valid ACK has come from it for {@link #DEAD_AFTER_MS} (or closed). */
    private void watchUntilDead(final InetSocketAddress chosen, final DirectPath path) throws InterruptedException {
        final long deadNs = TimeUnit.MILLISECONDS.toNanos(DEAD_AFTER_MS);
        final long startNs = System.nanoTime();
        int remeasured = 0;
        while (!closed) {
            // Padded to the stream's datagram size: if the path MTU shrinks (a route change), full-size datagrams
            // vanish while small ones pass; then the heartbeats vanish too and the path is dropped and remeasured,
            // instead of a stream that stalls on a path that still answers small probes.
            endpoint.sendTo(chosen, codec.probe(Math.max(ProbeCodec.LENGTH, datagramBytes)));
            Thread.sleep(HEARTBEAT_MS);
            if (System.nanoTime() - lastHeardNs > deadNs) {
                return;
            }
            // A peer busy starting up (JIT, GC) may answer the ladder too late: measure again a little later, and
            // take a larger size if one comes back now (never a smaller one: heartbeats watch for that).
            if (remeasured < REMEASURE_AFTER_MS.length && datagramBytes < MTU_LADDER[MTU_LADDER.length - 1]
                && System.nanoTime() - startNs >= TimeUnit.MILLISECONDS.toNanos(REMEASURE_AFTER_MS[remeasured])) {
                remeasured++;
                final int measured = discoverDatagramBytes(chosen);
                if (measured > datagramBytes && !closed) {
                    datagramBytes = measured;
                    path.resize(measured);
                }
            }
        }
    }

    /**
     * After a fallback: probes the lost address and the peer's other ones every {@link #RECOVERY_PROBE_MS} for the
     * rest of the session and returns the lost address once {@link #RECOVERY_ACKS} probes to it have been answered
     * since the fallback, the last within two probe intervals (a path that answers once and dies again is not worth
     * switching for), or else the first of the peer's other addresses (in its order) that has done the same; null
     * when closed.
     */
    private InetSocketAddress awaitRecovery(final InetSocketAddress chosen) throws InterruptedException {
        final long base = acksFromChosen.get();
        final long freshNs = TimeUnit.MILLISECONDS.toNanos(2 * RECOVERY_PROBE_MS);
        alternatives.clear();
        recovering = true;
        try {
            for (int round = 1; !closed; round++) {
                endpoint.sendTo(chosen, codec.probe());
                for (final InetSocketAddress peer : peers) {
                    if (!peer.equals(chosen)) {
                        endpoint.sendTo(peer, codec.probe());
                    }
                }
                Thread.sleep(RECOVERY_PROBE_MS);
                final long nowNs = System.nanoTime();
                if (acksFromChosen.get() - base >= RECOVERY_ACKS && nowNs - lastHeardNs < freshNs) {
                    return chosen;
                }
                if (PathTrace.ON && round % 4 == 0) {
                    PathTrace.log("recovering: %d answers from %s, others %s", acksFromChosen.get() - base, chosen,
                        alternatives.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue().count).toList());
                }
                for (final InetSocketAddress peer : peers) { // the peer's order: its candidates first
                    final Answers answers = alternatives.get(peer);
                    if (answers != null && answers.count >= RECOVERY_ACKS && nowNs - answers.lastNs < freshNs) {
                        return peer;
                    }
                }
            }
            return null;
        } finally {
            recovering = false;
        }
    }

    /** Valid ACKs from one address while recovering; written by the receive thread only. */
    private static final class Answers {
        volatile long count;
        volatile long lastNs;

        void heard(final long nowNs) {
            lastNs = nowNs;
            count++; // one writer: not atomic, and need not be
        }
    }

    /** Times the direct path came back after a fallback and was promoted again. */
    public long recoveries() {
        return recoveries.get();
    }

    @Override
    public void close() {
        closed = true;
        thread.interrupt();
        synchronized (wake) {
            wake.notifyAll();
        }
    }
}
