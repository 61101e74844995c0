package dev.derphole.session.portmap;

import java.io.Closeable;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

import dev.derphole.session.portmap.PortmapCounters.Name;

/**
 * Keeps one UDP port mapped on the home router for as long as it is open: finds the first protocol the gateway
 * speaks, refreshes the mapping at half its lifetime, reports it (and any change or loss) to a {@link Listener},
 * and deletes it on {@link #close()}.
 * <p>
 * The first attempt is bounded by {@link Config#firstAttemptBudget()} (1.5 s): PCP first; NAT-PMP when the gateway
 * answers PCP with "unsupported version" or stays silent for 500 ms; UPnP when neither maps. UPnP discovery (SSDP
 * and the description fetch, which change nothing on the router) runs in parallel from the start, so a UPnP-only
 * router costs little more than the PCP wait; only one protocol ever creates a mapping. When nothing maps, the
 * attempt is repeated on a schedule that is quick while a session is likely still running (see
 * {@link #retryDelayNs}): {@link Config#retryInitial()} (2 s) after the first failure, doubling up to
 * {@link #RETRY_EARLY_MAX} (30 s) for the first {@link #RETRY_EARLY_WINDOW} (10 min), then every
 * {@link Config#retryInterval()} (2 min). A mapping service that starts late (the router booted after us, the
 * user just enabled UPnP) is thus found within seconds, and reported like any other mapping.
 * <p>
 * A refresh that fails is retried with backoff until the mapping would expire; a refusal, or the expiry, loses the
 * mapping ({@link Listener#onMappingLost}) and a fresh attempt starts at once. A refresh that comes back with
 * another external address or port is reported as a new mapping ({@link Listener#onMapping}), which is the
 * caller's cue for a fresh candidate exchange.
 * <p>
 * Threads: one daemon thread ({@code derphole-portmap}) does all protocol work and calls the listener; a second
 * one ({@code derphole-portmap-upnp}) runs each UPnP discovery. {@link #current()}, {@link #describe()} and
 * {@link #close()} may be called from any thread; close aborts requests in flight, deletes the mapping (best
 * effort, within {@link #DELETE_BUDGET}) and waits for the thread to end.
 */
public final class PortMapper implements AutoCloseable {
    /** Lifetime we ask for, in seconds (RFC 6886's recommended two hours; upstream asks the same of all three). */
    public static final long DEFAULT_LIFETIME_SECONDS = 7200;
    /** Bound on the first attempt (all protocols), the time a missing router can cost. */
    public static final Duration DEFAULT_FIRST_ATTEMPT_BUDGET = Duration.ofMillis(1500);
    /** How long PCP alone is given before NAT-PMP is tried when the gateway stays silent. */
    static final Duration PCP_ALONE = Duration.ofMillis(500);
    /** NAT-PMP's share when PCP stayed silent. */
    static final Duration PMP_AFTER_SILENT_PCP = Duration.ofMillis(500);
    /** NAT-PMP's budget when PCP is off or the gateway said it only speaks NAT-PMP: 250 + 500 ms and an answer. */
    static final Duration PMP_ALONE = Duration.ofMillis(1000);
    /** Budget of one NAT-PMP/PCP refresh. */
    static final Duration PXP_REFRESH_BUDGET = Duration.ofMillis(1000);
    /** Budget of one UPnP refresh (GetExternalIPAddress and AddPortMapping). */
    static final Duration UPNP_REFRESH_BUDGET = Duration.ofMillis(2000);
    /** Budget of the delete on close. */
    public static final Duration DELETE_BUDGET = Duration.ofMillis(500);
    /** How often a permanent UPnP lease is re-added, to notice a changed external address. */
    static final Duration PERMANENT_RECHECK = Duration.ofMinutes(30);
    /** First wait before a failed refresh is retried; doubles up to {@link #REFRESH_RETRY_MAX}. */
    static final Duration REFRESH_RETRY_INITIAL = Duration.ofSeconds(2);
    static final Duration REFRESH_RETRY_MAX = Duration.ofSeconds(60);
    /** Consecutive failed refreshes after which a permanent lease (which never expires) counts as lost. */
    static final int PERMANENT_MAX_FAILURES = 4;
    /** Default floor under the refresh interval. */
    public static final Duration DEFAULT_MIN_REFRESH = Duration.ofSeconds(5);
    /**
     * Default wait after the first attempt that mapped nothing. Short: a session that starts on the relay (symmetric
     * NAT) goes direct as soon as a mapping appears, so a mapping service that comes up a few seconds late should
     * cost seconds of relay, not minutes. One attempt is a few small UDP packets to the gateway plus an SSDP search.
     */
    public static final Duration DEFAULT_RETRY_INITIAL = Duration.ofSeconds(2);
    /** Longest wait between attempts during {@link #RETRY_EARLY_WINDOW}: 2, 4, 8, 16, then 30 s apart. */
    static final Duration RETRY_EARLY_MAX = Duration.ofSeconds(30);
    /**
     * How long the quick schedule lasts after the first attempt that mapped nothing (the start, or a loss): about 23
     * attempts. A gateway still silent by then is unlikely to start; a long-lived tunnel keeps asking, but rarely.
     */
    static final Duration RETRY_EARLY_WINDOW = Duration.ofMinutes(10);
    /** Fewest seconds between two checks asked for by {@link #recheckSoon()} (a flapping path must not hammer it). */
    static final Duration RECHECK_MIN_INTERVAL = Duration.ofSeconds(10);
    /** Default wait between attempts when nothing maps after {@link #RETRY_EARLY_WINDOW}. */
    public static final Duration DEFAULT_RETRY_INTERVAL = Duration.ofMinutes(2);
    /** UPnP external ports tried per service when the router reports a conflict (error 718). */
    static final int UPNP_PORT_ATTEMPTS = 3;
    /** Lowest external port we ask UPnP for (routers commonly refuse lower ones). */
    static final int UPNP_MIN_EXTERNAL_PORT = 1024;
    /** Most UPnP services tried in one attempt. */
    static final int UPNP_MAX_SERVICES = 3;
    /** Extra time close() waits for the thread beyond the delete budget. */
    private static final Duration CLOSE_SLACK = Duration.ofMillis(500);

    /** Told about the mapping; called on the mapper thread, one call at a time. Must not block for long. */
    public interface Listener {
        /** A mapping was created, or the external address or port of the current one changed. */
        void onMapping(Mapping mapping);

        /** The mapping was lost (refused, or not refreshed before expiry); the mapper is trying again. */
        void onMappingLost(Mapping lost);
    }

    /**
     * What to map and where.
     *
     * @param localPort                our UDP port to map
     * @param gateway                  the gateway's address
     * @param lanAddress               our address towards the gateway (requests leave from it; UPnP maps to it)
     * @param pxpPort                  the gateway's NAT-PMP/PCP port (5351; tests use a loopback port)
     * @param ssdpTargets              where SSDP searches go (gateway:1900 and the multicast group; tests use a
     *                                 loopback responder)
     * @param protocols                the protocols to try
     * @param lifetimeSeconds          the lifetime (UPnP lease) to ask for
     * @param firstAttemptBudget       bound on one attempt over all protocols
     * @param minRefresh               floor under the refresh interval (half the granted lifetime)
     * @param retryInitial             wait after the first attempt that mapped nothing (doubles per failure, up
     *                                 to {@link #RETRY_EARLY_MAX} and {@code retryInterval})
     * @param retryInterval            wait between attempts when nothing maps, after {@link #RETRY_EARLY_WINDOW}
     */
    public record Config(int localPort, InetAddress gateway, InetAddress lanAddress, int pxpPort,
                         List<InetSocketAddress> ssdpTargets, Set<Mapping.Kind> protocols, long lifetimeSeconds,
                         Duration firstAttemptBudget, Duration minRefresh, Duration retryInitial,
                         Duration retryInterval) {
        /** Validates the fields. */
        public Config {
            NatPmpClient.checkPort(localPort, 1);
            NatPmpClient.checkPort(pxpPort, 1);
            if (!(gateway instanceof Inet4Address) || !(lanAddress instanceof Inet4Address)
                || lanAddress.isAnyLocalAddress()) {
                throw new IllegalArgumentException("IPv4 gateway and LAN address required: " + gateway + ", "
                    + lanAddress);
            }
            ssdpTargets = List.copyOf(ssdpTargets);
            protocols = Set.copyOf(protocols);
            if (lifetimeSeconds < 1 || lifetimeSeconds > 0xffff_ffffL) {
                throw new IllegalArgumentException("lifetime out of range: " + lifetimeSeconds);
            }
            requirePositive(firstAttemptBudget, "firstAttemptBudget");
            requirePositive(minRefresh, "minRefresh");
            requirePositive(retryInitial, "retryInitial");
            requirePositive(retryInterval, "retryInterval");
        }

        /** Defaults for mapping {@code localPort} through {@code gateway} from {@code lanAddress}. */
        public static Config of(final int localPort, final InetAddress gateway, final InetAddress lanAddress) {
            return new Config(localPort, gateway, lanAddress, NatPmpClient.DEFAULT_PORT,
                UpnpIgdClient.defaultSsdpTargets(gateway), EnumSet.allOf(Mapping.Kind.class),
                DEFAULT_LIFETIME_SECONDS, DEFAULT_FIRST_ATTEMPT_BUDGET, DEFAULT_MIN_REFRESH, DEFAULT_RETRY_INITIAL,
                DEFAULT_RETRY_INTERVAL);
        }

        /** Defaults for mapping {@code localPort} through the default IPv4 gateway; empty when there is none. */
        public static Optional<Config> forDefaultGateway(final int localPort) {
            return Gateways.defaultIpv4().map(g -> of(localPort, g.address(), g.localAddress()));
        }

        /** This config with the NAT-PMP/PCP server port {@code port}. */
        public Config withPxpPort(final int port) {
            return new Config(localPort, gateway, lanAddress, port, ssdpTargets, protocols, lifetimeSeconds,
                firstAttemptBudget, minRefresh, retryInitial, retryInterval);
        }

        /** This config with SSDP searches going to {@code targets}. */
        public Config withSsdpTargets(final List<InetSocketAddress> targets) {
            return new Config(localPort, gateway, lanAddress, pxpPort, targets, protocols, lifetimeSeconds,
                firstAttemptBudget, minRefresh, retryInitial, retryInterval);
        }

        /** This config trying only {@code kinds}. */
        public Config withProtocols(final Set<Mapping.Kind> kinds) {
            return new Config(localPort, gateway, lanAddress, pxpPort, ssdpTargets, kinds, lifetimeSeconds,
                firstAttemptBudget, minRefresh, retryInitial, retryInterval);
        }

        /** This config asking for {@code seconds} of lifetime. */
        public Config withLifetimeSeconds(final long seconds) {
            return new Config(localPort, gateway, lanAddress, pxpPort, ssdpTargets, protocols, seconds,
                firstAttemptBudget, minRefresh, retryInitial, retryInterval);
        }

        /** This config with other timing ({@code retry}: the wait between attempts after the quick schedule). */
        public Config withTiming(final Duration firstAttempt, final Duration refreshFloor, final Duration retry) {
            return new Config(localPort, gateway, lanAddress, pxpPort, ssdpTargets, protocols, lifetimeSeconds,
                firstAttempt, refreshFloor, retryInitial, retry);
        }

        /** This config waiting {@code initial} after the first attempt that mapped nothing. */
        public Config withRetryInitial(final Duration initial) {
            return new Config(localPort, gateway, lanAddress, pxpPort, ssdpTargets, protocols, lifetimeSeconds,
                firstAttemptBudget, minRefresh, initial, retryInterval);
        }

        private static void requirePositive(final Duration d, final String name) {
            if (d == null || d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(name + " must be positive");
            }
        }
    }

    /** The mapping held, and what its protocol needs to refresh and delete it. Owned by the mapper thread. */
    private static final class Active {
        final Mapping.Kind kind;
        final byte[] pcpNonce;
        final UpnpIgdClient.Service upnpService;
        Mapping mapping;
        long epochSeconds;
        long epochAtNs;
        long grantedAtNs;
        long refreshAtNs;
        int failures;

        Active(final Mapping.Kind kind, final byte[] pcpNonce, final UpnpIgdClient.Service upnpService) {
            this.kind = kind;
            this.pcpNonce = pcpNonce;
            this.upnpService = upnpService;
        }

        boolean permanent() {
            return mapping.lifetime().isZero();
        }

        long goodUntilNs() {
            return grantedAtNs + mapping.lifetime().toNanos();
        }
    }

    private final Config config;
    private final Listener listener;
    private final PortmapCounters counters;
    private final Thread thread;
    private final CountDownLatch firstAttemptDone = new CountDownLatch(1);
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition wake = lock.newCondition();
    /** Clients with requests in flight, closed by {@link #close()} to abort them. */
    private final List<Closeable> inFlight = new CopyOnWriteArrayList<>();
    private final SplittableRandom random = new SplittableRandom();
    private volatile boolean closing;
    /** Guarded by {@link #lock}: {@link #recheckSoon()} asked, and when the last such check ran. */
    private boolean recheckAsked;
    private long lastRecheckNs = System.nanoTime() - RECHECK_MIN_INTERVAL.toNanos();
    private volatile Mapping current;

    private PortMapper(final Config config, final Listener listener, final PortmapCounters counters) {
        this.config = Objects.requireNonNull(config, "config");
        this.listener = Objects.requireNonNull(listener, "listener");
        this.counters = Objects.requireNonNull(counters, "counters");
        this.thread = Thread.ofPlatform().name("derphole-portmap").daemon(true).unstarted(this::run);
    }

    /** Starts mapping {@code config.localPort()}; the first attempt runs at once on the mapper thread. */
    public static PortMapper start(final Config config, final Listener listener) {
        return start(config, listener, new PortmapCounters());
    }

    /** As {@link #start(Config, Listener)}, counting into {@code counters}. */
    public static PortMapper start(final Config config, final Listener listener, final PortmapCounters counters) {
        final PortMapper mapper = new PortMapper(config, listener, counters);
        mapper.thread.start();
        return mapper;
    }

    /** The mapping held now, if any. */
    public Optional<Mapping> current() {
        return Optional.ofNullable(current);
    }

    /**
     * Waits up to {@code timeout} for the first attempt to end and returns the mapping held then (empty when the
     * attempt found nothing, or is still running when the timeout passes).
     */
    public Optional<Mapping> awaitFirstAttempt(final Duration timeout) throws InterruptedException {
        firstAttemptDone.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
        return current();
    }

    /** Whether the first attempt has ended. */
    public boolean firstAttemptDone() {
        return firstAttemptDone.getCount() == 0;
    }

    /** Debug line: {@code portmap=pcp external=203.0.113.7:41641}, {@code portmap=probing} or {@code portmap=none}. */
    public String describe() {
        final Mapping m = current;
        if (m != null) {
            return m.describe();
        }
        return firstAttemptDone() ? "portmap=none" : "portmap=probing";
    }

    /** The counters this mapper and its clients update. */
    public PortmapCounters counters() {
        return counters;
    }

    /**
     * Checks the mapping now rather than at its next refresh, or tries again now when there is none: the session's
     * direct path went quiet, perhaps because the router rebooted and forgot the mapping (a changed or lost one is
     * reported as usual). At most once per {@link #RECHECK_MIN_INTERVAL}; any thread.
     */
    public void recheckSoon() {
        lock.lock();
        try {
            recheckAsked = true;
            wake.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Stops: aborts requests in flight, deletes the mapping (best effort, within {@link #DELETE_BUDGET}) and waits
     * for the mapper thread (bounded). Idempotent.
     */
    @Override
    public void close() {
        closing = true;
        for (final Closeable c : inFlight) {
            closeQuietly(c);
        }
        lock.lock();
        try {
            wake.signalAll();
        } finally {
            lock.unlock();
        }
        if (Thread.currentThread() != thread) {
            try {
                thread.join(DELETE_BUDGET.plus(CLOSE_SLACK));
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    // ---- mapper thread ----

    private void run() {
        Active active = null;
        // Attempts in a row that mapped nothing, and when the first of them ended (the retry schedule's origin).
        int failed = 0;
        long failingSinceNs = 0;
        try {
            active = attempt();
            firstAttemptDone.countDown();
            while (!closing) {
                if (active == null) {
                    final long now = System.nanoTime();
                    if (failed++ == 0) {
                        failingSinceNs = now;
                    }
                    if (!sleepUntil(now + retryDelayNs(config, failed, now - failingSinceNs))) {
                        break;
                    }
                    active = attempt();
                    continue;
                }
                // Holding a mapping: a later loss starts the quick schedule afresh (a rebooted router comes back).
                failed = 0;
                if (!sleepUntil(active.refreshAtNs)) {
                    break;
                }
                active = refresh(active);
            }
        } catch (final RuntimeException e) {
            counters.increment(Name.WORKER_ERRORS);
        } finally {
            firstAttemptDone.countDown();
            if (active != null) {
                delete(active);
            }
            current = null;
        }
    }

    /**
     * The wait before the next attempt when the last {@code failed} (at least 1) attempts in a row mapped nothing,
     * the first of them having ended {@code sinceFirstNs} ago: {@link Config#retryInitial()} doubled per further
     * failure, at most {@link #RETRY_EARLY_MAX} (and {@link Config#retryInterval()}) within
     * {@link #RETRY_EARLY_WINDOW}, {@link Config#retryInterval()} after it.
     */
    static long retryDelayNs(final Config config, final int failed, final long sinceFirstNs) {
        final long late = config.retryInterval().toNanos();
        if (sinceFirstNs >= RETRY_EARLY_WINDOW.toNanos()) {
            return late;
        }
        final long cap = Math.min(RETRY_EARLY_MAX.toNanos(), late);
        final long initial = config.retryInitial().toNanos();
        final int shift = Math.min(Math.max(0, failed - 1), 30);
        // initial << shift without overflow: anything at or above cap >> shift ends at the cap anyway.
        return initial >= cap >> shift ? cap : initial << shift;
    }

    /** One attempt over all protocols; publishes and reports a mapping it makes. */
    private Active attempt() {
        final Active a = createMapping();
        if (a != null && !closing) {
            counters.increment(Name.MAPPINGS_CREATED);
            publish(a.mapping);
        }
        return a;
    }

    private Active createMapping() {
        final long deadline = System.nanoTime() + config.firstAttemptBudget().toNanos();
        UpnpIgdClient upnp = null;
        FutureTask<List<UpnpIgdClient.Service>> discovery = null;
        if (config.protocols().contains(Mapping.Kind.UPNP)) {
            final UpnpIgdClient client = new UpnpIgdClient(config.gateway(), config.lanAddress(),
                config.ssdpTargets(), counters);
            upnp = client;
            track(client);
            discovery = new FutureTask<>(() -> client.discover(remaining(deadline)));
            Thread.ofPlatform().name("derphole-portmap-upnp").daemon(true).start(discovery);
        }
        try {
            final Active pxp = pxpAttempt(deadline);
            if (pxp != null || upnp == null || closing) {
                return pxp;
            }
            final List<UpnpIgdClient.Service> services = awaitDiscovery(discovery, deadline);
            for (int i = 0; i < services.size() && i < UPNP_MAX_SERVICES && !closing; i++) {
                final Active a = upnpAttempt(upnp, services.get(i), deadline);
                if (a != null) {
                    return a;
                }
            }
            return null;
        } finally {
            if (upnp != null) {
                untrack(upnp);
                upnp.close();
            }
        }
    }

    private List<UpnpIgdClient.Service> awaitDiscovery(final FutureTask<List<UpnpIgdClient.Service>> discovery,
                                                       final long deadline) {
        try {
            return discovery.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (final TimeoutException | ExecutionException e) {
            return List.of();
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            return List.of();
        }
    }

    /** PCP, then NAT-PMP when PCP is unsupported or silent; null when neither maps. */
    private Active pxpAttempt(final long deadline) {
        final InetSocketAddress server = new InetSocketAddress(config.gateway(), config.pxpPort());
        final boolean pcpOn = config.protocols().contains(Mapping.Kind.PCP);
        final boolean pmpOn = config.protocols().contains(Mapping.Kind.NAT_PMP);
        Duration pmpBudget = PMP_ALONE;
        if (pcpOn) {
            final byte[] nonce = PcpClient.newNonce();
            final MapResult r = withPcp(server, pcp -> pcp.map(nonce, config.localPort(), null,
                config.lifetimeSeconds(), min(PCP_ALONE, remaining(deadline))));
            if (r instanceof MapResult.Mapped m) {
                return activate(new Active(Mapping.Kind.PCP, nonce, null), m);
            }
            final MapResult.Failure f = ((MapResult.Failed)r).failure();
            if (f == MapResult.Failure.NO_RESPONSE) {
                pmpBudget = PMP_AFTER_SILENT_PCP;
            } else if (f != MapResult.Failure.UNSUPPORTED_VERSION) {
                // Port closed, refused, no external address, aborted: NAT-PMP on the same port would say the same.
                return null;
            }
        }
        if (!pmpOn || closing) {
            return null;
        }
        final Duration budget = min(pmpBudget, remaining(deadline));
        final MapResult r = withPmp(server, pmp -> pmp.map(config.localPort(), 0, config.lifetimeSeconds(), budget));
        return r instanceof MapResult.Mapped m ? activate(new Active(Mapping.Kind.NAT_PMP, null, null), m) : null;
    }

    /** AddPortMapping on {@code service}: our port as the external one if it may be, else random ones on conflict. */
    private Active upnpAttempt(final UpnpIgdClient upnp, final UpnpIgdClient.Service service, final long deadline) {
        int port = config.localPort() >= UPNP_MIN_EXTERNAL_PORT ? config.localPort() : randomExternalPort();
        for (int i = 0; i < UPNP_PORT_ATTEMPTS && !closing; i++) {
            final MapResult r = upnp.map(service, port, config.localPort(), config.lifetimeSeconds(),
                remaining(deadline));
            if (r instanceof MapResult.Mapped m) {
                return activate(new Active(Mapping.Kind.UPNP, null, service), m);
            }
            final MapResult.Failed f = (MapResult.Failed)r;
            if (f.failure() != MapResult.Failure.REFUSED
                || f.code() != UpnpIgdClient.ERROR_CONFLICT_IN_MAPPING_ENTRY) {
                return null;
            }
            port = randomExternalPort();
        }
        return null;
    }

    private int randomExternalPort() {
        return UPNP_MIN_EXTERNAL_PORT + random.nextInt(0x10000 - UPNP_MIN_EXTERNAL_PORT);
    }

    /** Refreshes {@code a}; returns the mapping to keep (null when it was lost and no new one could be made). */
    private Active refresh(final Active a) {
        final MapResult r = switch (a.kind) {
            case PCP -> withPcp(new InetSocketAddress(config.gateway(), config.pxpPort()),
                pcp -> pcp.map(a.pcpNonce, config.localPort(), a.mapping.external(), config.lifetimeSeconds(),
                    PXP_REFRESH_BUDGET));
            case NAT_PMP -> withPmp(new InetSocketAddress(config.gateway(), config.pxpPort()),
                pmp -> pmp.map(config.localPort(), a.mapping.external().getPort(), config.lifetimeSeconds(),
                    PXP_REFRESH_BUDGET));
            case UPNP -> withUpnp(upnp -> upnp.map(a.upnpService, a.mapping.external().getPort(),
                config.localPort(), a.permanent() ? 0 : config.lifetimeSeconds(), UPNP_REFRESH_BUDGET));
        };
        if (closing) {
            return a;
        }
        if (r instanceof MapResult.Mapped m) {
            counters.increment(Name.REFRESHES);
            final Mapping before = a.mapping;
            checkEpoch(a, m);
            activate(a, m);
            if (!m.mapping().sameEndpoint(before)) {
                counters.increment(Name.CHANGES);
                publish(a.mapping);
            }
            return a;
        }
        counters.increment(Name.REFRESH_FAILURES);
        a.failures++;
        final long now = System.nanoTime();
        final long retryNs = Math.min(REFRESH_RETRY_MAX.toNanos(),
            REFRESH_RETRY_INITIAL.toNanos() << Math.min(16, a.failures - 1));
        final MapResult.Failure f = ((MapResult.Failed)r).failure();
        final boolean retryable = f == MapResult.Failure.NO_RESPONSE || f == MapResult.Failure.IO_ERROR;
        final boolean expired = a.permanent() ? a.failures >= PERMANENT_MAX_FAILURES
            : now + retryNs - a.goodUntilNs() >= 0;
        if (retryable && !expired) {
            a.refreshAtNs = now + retryNs;
            return a;
        }
        counters.increment(Name.LOSSES);
        current = null;
        notifyListener(a.mapping, true);
        return attempt();
    }

    /** Counts a NAT-PMP/PCP epoch that went backwards (RFC 6886 section 3.6: the gateway lost its mappings). */
    private void checkEpoch(final Active a, final MapResult.Mapped m) {
        if (a.kind == Mapping.Kind.UPNP || m.epochSeconds() < 0) {
            return;
        }
        final long elapsedS = (System.nanoTime() - a.epochAtNs) / 1_000_000_000L;
        final long expected = a.epochSeconds + elapsedS * 7 / 8;
        if (m.epochSeconds() + 2 < expected) {
            counters.increment(Name.GATEWAY_RESTARTS);
        }
    }

    /** Records a granted mapping in {@code a} and schedules its refresh. */
    private Active activate(final Active a, final MapResult.Mapped m) {
        final long now = System.nanoTime();
        a.mapping = m.mapping();
        a.epochSeconds = m.epochSeconds();
        a.epochAtNs = now;
        a.grantedAtNs = now;
        a.failures = 0;
        final Duration interval = a.permanent() ? PERMANENT_RECHECK : max(m.mapping().lifetime().dividedBy(2),
            config.minRefresh());
        a.refreshAtNs = now + interval.toNanos();
        return a;
    }

    private void publish(final Mapping m) {
        current = m;
        notifyListener(m, false);
    }

    private void notifyListener(final Mapping m, final boolean lost) {
        try {
            if (lost) {
                listener.onMappingLost(m);
            } else {
                listener.onMapping(m);
            }
        } catch (final RuntimeException e) {
            counters.increment(Name.LISTENER_ERRORS);
        }
    }

    private void delete(final Active a) {
        final boolean confirmed = switch (a.kind) {
            case PCP -> withPcpUntracked(pcp -> pcp.delete(a.pcpNonce, config.localPort(), DELETE_BUDGET));
            case NAT_PMP -> withPmpUntracked(pmp -> pmp.delete(config.localPort(), DELETE_BUDGET));
            case UPNP -> {
                final UpnpIgdClient upnp = new UpnpIgdClient(config.gateway(), config.lanAddress(),
                    config.ssdpTargets(), counters);
                try {
                    yield upnp.delete(a.upnpService, a.mapping.external().getPort(), DELETE_BUDGET);
                } finally {
                    upnp.close();
                }
            }
        };
        counters.increment(confirmed ? Name.DELETES : Name.DELETE_FAILURES);
    }

    /** Sleeps until {@code deadlineNs} or close; returns false when closing. */
    private boolean sleepUntil(final long deadlineNs) {
        lock.lock();
        try {
            long left = deadlineNs - System.nanoTime();
            while (!closing && left > 0) {
                if (recheckAsked) {
                    recheckAsked = false;
                    final long nowNs = System.nanoTime();
                    if (nowNs - lastRecheckNs >= RECHECK_MIN_INTERVAL.toNanos()) {
                        lastRecheckNs = nowNs;
                        counters.increment(Name.RECHECKS);
                        break;
                    }
                }
                left = wake.awaitNanos(left);
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            closing = true;
        } finally {
            lock.unlock();
        }
        return !closing;
    }

    // ---- clients ----

    @FunctionalInterface
    private interface ClientCall<C, R> {
        R apply(C client);
    }

    private MapResult withPcp(final InetSocketAddress server, final ClientCall<PcpClient, MapResult> call) {
        final PcpClient pcp;
        try {
            pcp = new PcpClient(server, config.lanAddress(), counters);
        } catch (final IOException e) {
            return MapResult.Failed.of(MapResult.Failure.IO_ERROR);
        }
        return tracked(pcp, call);
    }

    private MapResult withPmp(final InetSocketAddress server, final ClientCall<NatPmpClient, MapResult> call) {
        final NatPmpClient pmp;
        try {
            pmp = new NatPmpClient(server, config.lanAddress(), counters);
        } catch (final IOException e) {
            return MapResult.Failed.of(MapResult.Failure.IO_ERROR);
        }
        return tracked(pmp, call);
    }

    private MapResult withUpnp(final ClientCall<UpnpIgdClient, MapResult> call) {
        return tracked(new UpnpIgdClient(config.gateway(), config.lanAddress(), config.ssdpTargets(), counters),
            call);
    }

    private <C extends Closeable> MapResult tracked(final C client, final ClientCall<C, MapResult> call) {
        track(client);
        try {
            return call.apply(client);
        } finally {
            untrack(client);
            closeQuietly(client);
        }
    }

    private boolean withPcpUntracked(final ClientCall<PcpClient, Boolean> call) {
        try (PcpClient pcp = new PcpClient(new InetSocketAddress(config.gateway(), config.pxpPort()),
            config.lanAddress(), counters)) {
            return call.apply(pcp);
        } catch (final IOException e) {
            return false;
        }
    }

    private boolean withPmpUntracked(final ClientCall<NatPmpClient, Boolean> call) {
        try (NatPmpClient pmp = new NatPmpClient(new InetSocketAddress(config.gateway(), config.pxpPort()),
            config.lanAddress(), counters)) {
            return call.apply(pmp);
        } catch (final IOException e) {
            return false;
        }
    }

    private void track(final Closeable c) {
        inFlight.add(c);
        // close() may have run between the caller's check and the add: abort at once rather than run on.
        if (closing) {
            closeQuietly(c);
        }
    }

    private void untrack(final Closeable c) {
        inFlight.remove(c);
    }

    private static void closeQuietly(final Closeable c) {
        try {
            c.close();
        } catch (final IOException | RuntimeException e) {
            // Aborting; nothing else to do.
        }
    }

    private static Duration remaining(final long deadlineNs) {
        return Duration.ofNanos(Math.max(1, deadlineNs - System.nanoTime()));
    }

    private static Duration min(final Duration a, final Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    private static Duration max(final Duration a, final Duration b) {
        return a.compareTo(b) >= 0 ? a : b;
    }
}
