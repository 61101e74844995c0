package dev.derphole.derp.server;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Named counters of one {@link DerpServer}: every accepted, dropped or refused thing is counted here instead of
 * being logged. Updated concurrently by all connection threads ({@link LongAdder}s, so the per-packet increments
 * do not contend); read by anyone at any time. Values are monotonic except the {@code current*} gauges.
 */
public final class DerpServerCounters {
    private final LongAdder acceptedConnections = new LongAdder();
    private final LongAdder httpResponses = new LongAdder();
    private final LongAdder clientsRegistered = new LongAdder();
    private final AtomicLong currentClients = new AtomicLong();
    private final LongAdder duplicateConnections = new LongAdder();
    private final LongAdder[] handshakeFailures = adders(HandshakeFailure.values().length);

    private final LongAdder packetsReceived = new LongAdder();
    private final LongAdder bytesReceived = new LongAdder();
    private final LongAdder packetsForwarded = new LongAdder();
    private final LongAdder bytesForwarded = new LongAdder();
    private final LongAdder[] drops = adders(DropReason.values().length);

    private final LongAdder framesSkipped = new LongAdder();
    private final LongAdder oversizeCloses = new LongAdder();
    private final LongAdder malformedCloses = new LongAdder();
    private final LongAdder forbiddenFrameCloses = new LongAdder();
    private final LongAdder writeTimeouts = new LongAdder();
    private final LongAdder pingsReceived = new LongAdder();
    private final LongAdder pongsSent = new LongAdder();
    private final LongAdder keepAlivesSent = new LongAdder();
    private final LongAdder peerGoneDisconnectedSent = new LongAdder();
    private final LongAdder peerGoneNotHereSent = new LongAdder();
    private final LongAdder healthSent = new LongAdder();
    private final LongAdder controlOverflows = new LongAdder();
    private final LongAdder rateLimitWaits = new LongAdder();

    DerpServerCounters() {
    }

    private static LongAdder[] adders(final int n) {
        final LongAdder[] out = new LongAdder[n];
        for (int i = 0; i < n; i++) {
            out[i] = new LongAdder();
        }
        return out;
    }

    // ---- updates (package-private: only the server counts) ----

    void onAccepted() {
        acceptedConnections.increment();
    }

    void onHttpResponse() {
        httpResponses.increment();
    }

    void onHandshakeFailure(final HandshakeFailure reason) {
        handshakeFailures[reason.ordinal()].increment();
    }

    void onClientRegistered(final boolean duplicate) {
        clientsRegistered.increment();
        currentClients.incrementAndGet();
        if (duplicate) {
            duplicateConnections.increment();
        }
    }

    void onClientUnregistered() {
        currentClients.decrementAndGet();
    }

    void onPacketReceived(final int length) {
        packetsReceived.increment();
        bytesReceived.add(length);
    }

    void onPacketForwarded(final int length) {
        packetsForwarded.increment();
        bytesForwarded.add(length);
    }

    void onDrop(final DropReason reason) {
        drops[reason.ordinal()].increment();
    }

    void onDrops(final DropReason reason, final int count) {
        drops[reason.ordinal()].add(count);
    }

    void onFrameSkipped() {
        framesSkipped.increment();
    }

    void onOversizeClose() {
        oversizeCloses.increment();
    }

    void onMalformedClose() {
        malformedCloses.increment();
    }

    void onForbiddenFrameClose() {
        forbiddenFrameCloses.increment();
    }

    void onWriteTimeout() {
        writeTimeouts.increment();
    }

    void onPing() {
        pingsReceived.increment();
    }

    void onPongSent() {
        pongsSent.increment();
    }

    void onKeepAliveSent() {
        keepAlivesSent.increment();
    }

    void onPeerGoneSent(final int reason) {
        (reason == 0 ? peerGoneDisconnectedSent : peerGoneNotHereSent).increment();
    }

    void onHealthSent() {
        healthSent.increment();
    }

    void onControlOverflow() {
        controlOverflows.increment();
    }

    void onRateLimitWait() {
        rateLimitWaits.increment();
    }

    // ---- reads ----

    /** TCP (or TLS) connections accepted, whatever they turned out to be. */
    public long acceptedConnections() {
        return acceptedConnections.sum();
    }

    /** Plain HTTP responses served (probe, 204, home page, 404, 426...), not counting upgrades. */
    public long httpResponses() {
        return httpResponses.sum();
    }

    /** Connections that completed the DERP handshake. */
    public long clientsRegistered() {
        return clientsRegistered.sum();
    }

    /** DERP clients connected now (a key connected twice counts twice). */
    public long currentClients() {
        return currentClients.get();
    }

    /** Registrations of a key that already had a connection here. */
    public long duplicateConnections() {
        return duplicateConnections.sum();
    }

    public long handshakeFailures(final HandshakeFailure reason) {
        return handshakeFailures[reason.ordinal()].sum();
    }

    /** Handshake failures of every reason. */
    public long handshakeFailures() {
        long sum = 0;
        for (final LongAdder a : handshakeFailures) {
            sum += a.sum();
        }
        return sum;
    }

    /** SendPacket frames read from clients (before routing). */
    public long packetsReceived() {
        return packetsReceived.sum();
    }

    public long bytesReceived() {
        return bytesReceived.sum();
    }

    /** RecvPacket frames written to destination clients. */
    public long packetsForwarded() {
        return packetsForwarded.sum();
    }

    public long bytesForwarded() {
        return bytesForwarded.sum();
    }

    public long drops(final DropReason reason) {
        return drops[reason.ordinal()].sum();
    }

    /** Drops of every reason. */
    public long drops() {
        long sum = 0;
        for (final LongAdder a : drops) {
            sum += a.sum();
        }
        return sum;
    }

    /** Frames of unknown or client-irrelevant types that were read and ignored. */
    public long framesSkipped() {
        return framesSkipped.sum();
    }

    /** Connections closed for a frame longer than allowed. */
    public long oversizeCloses() {
        return oversizeCloses.sum();
    }

    /** Connections closed for a known frame of the wrong size or content. */
    public long malformedCloses() {
        return malformedCloses.sum();
    }

    /** Connections closed for a mesh-only frame (WatchConns, ClosePeer, ForwardPacket) from a non-mesh client. */
    public long forbiddenFrameCloses() {
        return forbiddenFrameCloses.sum();
    }

    /** Connections closed because one write took longer than the write timeout. */
    public long writeTimeouts() {
        return writeTimeouts.sum();
    }

    public long pingsReceived() {
        return pingsReceived.sum();
    }

    public long pongsSent() {
        return pongsSent.sum();
    }

    public long keepAlivesSent() {
        return keepAlivesSent.sum();
    }

    public long peerGoneDisconnectedSent() {
        return peerGoneDisconnectedSent.sum();
    }

    public long peerGoneNotHereSent() {
        return peerGoneNotHereSent.sum();
    }

    public long healthSent() {
        return healthSent.sum();
    }

    /** Control frames (PeerGone, Health) not queued because a client's control queue was full. */
    public long controlOverflows() {
        return controlOverflows.sum();
    }

    /** Times a client's reader waited for its receive rate limit. */
    public long rateLimitWaits() {
        return rateLimitWaits.sum();
    }

    @Override
    public String toString() {
        final StringBuilder sb = new StringBuilder("DerpServerCounters{accepted=").append(acceptedConnections())
            .append(", http=").append(httpResponses())
            .append(", registered=").append(clientsRegistered())
            .append(", current=").append(currentClients())
            .append(", dup=").append(duplicateConnections())
            .append(", packetsReceived=").append(packetsReceived())
            .append(", packetsForwarded=").append(packetsForwarded());
        for (final HandshakeFailure f : HandshakeFailure.values()) {
            sb.append(", handshake_").append(f.label()).append('=').append(handshakeFailures(f));
        }
        for (final DropReason r : DropReason.values()) {
            sb.append(", drop_").append(r.label()).append('=').append(drops(r));
        }
        return sb.append(", skipped=").append(framesSkipped())
            .append(", oversize=").append(oversizeCloses())
            .append(", malformed=").append(malformedCloses())
            .append(", forbidden=").append(forbiddenFrameCloses())
            .append(", writeTimeouts=").append(writeTimeouts())
            .append(", pings=").append(pingsReceived())
            .append(", keepAlives=").append(keepAlivesSent())
            .append('}').toString();
    }
}
