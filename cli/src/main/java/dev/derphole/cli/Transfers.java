package dev.derphole.cli;

import java.io.OutputStream;
import java.time.Clock;

import dev.derphole.derp.client.DerpTls;
import dev.derphole.derp.map.DerpMap;
import dev.derphole.derp.map.DerpMapException;
import dev.derphole.derp.map.DerpMapLoader;
import dev.derphole.derp.map.DerpMapSource;
import dev.derphole.derp.map.DerpNode;
import dev.derphole.lanes.StreamConfig;
import dev.derphole.session.rendezvous.CandidatePolicy;
import dev.derphole.session.token.Capability;
import dev.derphole.session.token.RelayBootstrap;
import dev.derphole.session.token.SessionToken;
import dev.derphole.session.token.TokenException;
import dev.derphole.session.transfer.SessionEvents;
import dev.derphole.session.transfer.TransferSetup;

/** What {@code listen}, {@code pipe} (and later {@code send}/{@code receive}) share: setup, tokens, errors. */
final class Transfers {
    private static final int STDIN_FD = 0;
    private static final int STDOUT_FD = 1;

    private Transfers() {
    }

    /** The issuing side's setup: the relay map from flags/environment. */
    static TransferSetup issuing(final GlobalOptions global, final Terminal terminal, final boolean forceRelay) {
        final DerpMapSource source = Relays.source(global, terminal);
        final DerpMap map = Relays.load(source);
        if (map.regions().values().stream().flatMap(r -> r.derpNodes().stream()).anyMatch(n -> !n.plainHttp())) {
            DerpTls.prepareInBackground(); // the trust store loads while we resolve and connect
        }
        return setup(map, source instanceof DerpMapSource.Bundled, source.describe(), forceRelay);
    }

    /** The joining side's setup: the token names the relay; the public map resolves public nodes. */
    static TransferSetup joining(final SessionToken token, final boolean forceRelay) {
        if (!(token.relay() instanceof RelayBootstrap.CustomRelay custom) || custom.url().startsWith("https:")) {
            DerpTls.prepareInBackground(); // the trust store loads while we resolve and connect
        }
        return setup(publicMap(), true, "the built-in public DERP map", forceRelay);
    }

    private static DerpMap publicMap() {
        try {
            return DerpMapLoader.loadBundled();
        } catch (final DerpMapException e) {
            throw new IllegalStateException("the built-in DERP map is broken: " + e.getMessage(), e);
        }
    }

    /**
     * Environment switch for tests on one machine: loopback addresses become candidates (and are accepted from
     * the peer). Never set in production: loopback candidates are refused by default (upstream red-team class 9).
     */
    static final String ALLOW_LOOPBACK_ENV = "DERPHOLE_TEST_ALLOW_LOOPBACK_CANDIDATES";

    /**
     * The same switch as a system property, for an in-process run that has no such environment: the AOT cache's
     * training ({@link AotTraining}) and tests. Never set in production either.
     */
    static final String ALLOW_LOOPBACK_PROPERTY = "derphole.test.allowLoopbackCandidates";

    /** {@code DERPHOLE_NO_PORTMAP=1}: do not ask the home router for a port mapping (NAT-PMP, PCP, UPnP). */
    static final String NO_PORTMAP_ENV = "DERPHOLE_NO_PORTMAP";

    private static TransferSetup setup(final DerpMap map, final boolean publicMap, final String description,
        final boolean forceRelay) {
        final CandidatePolicy policy = "1".equals(System.getenv(ALLOW_LOOPBACK_ENV))
            || "1".equals(System.getProperty(ALLOW_LOOPBACK_PROPERTY))
            ? CandidatePolicy.ALLOW_LOOPBACK : CandidatePolicy.STRICT;
        // Tests on one machine (loopback candidates) must never ask the machine's real gateway for a mapping.
        final boolean portMapping = !forceRelay && !policy.allowsLoopback()
            && !"1".equals(System.getenv(NO_PORTMAP_ENV));
        return new TransferSetup(map, publicMap, description, DerpNode.HostResolver.SYSTEM, DerpTls::defaultContext,
            StreamConfig.defaults(), policy, Clock.systemUTC(), !forceRelay, portMapping);
    }

    static SessionEvents events(final Terminal terminal) {
        return terminal::status;
    }

    /**
     * Decodes a token for {@code command}. A token that cannot be read or grants another command is a usage
     * error (exit 2); an expired one a runtime error (exit 1).
     */
    static SessionToken decode(final String text, final Capability needed, final String command) {
        try {
            final SessionToken token = SessionToken.decode(text, Clock.systemUTC());
            token.requireCapability(needed, command);
            return token;
        } catch (final TokenException e) {
            final int code = e.kind() == TokenException.Kind.EXPIRED ? ExitCode.RUNTIME : ExitCode.USAGE;
            throw new UserFacingException(code, e.getMessage(), e.kind() == TokenException.Kind.EXPIRED
                ? "tokens live one hour; ask for a new one" : "copy the whole token; it is one line of letters, "
                + "digits, '-' and '_'", e);
        }
    }

    /**
     * stdout for payload; {@code close()} only flushes (stdout stays open). Not buffered here: the stream engine's
     * sink writer already writes large pieces from its receive ring, and a buffer would copy every byte once more.
     * A pipe on stdout is grown first ({@link PipeBuffers}) and written only where it has room ({@link PipeOutput}).
     */
    static OutputStream payloadOut(final Terminal terminal) {
        terminal.out().flush();
        final int pipeBytes = terminal.isSystem() ? PipeBuffers.grow(STDOUT_FD) : -1;
        return new PipeOutput(terminal.payload(), STDOUT_FD, pipeBytes);
    }

    /**
     * Grows a pipe on stdin (the sender's source) like {@link #payloadOut} does for stdout, on a thread of its own:
     * binding {@code fcntl} (FFM stubs) costs 2-50 ms of a cold start, which the claim need not wait for; the
     * source is read only once the listener has answered.
     */
    static void growPayloadIn(final Terminal terminal) {
        if (terminal.isSystem()) {
            Thread.ofPlatform().daemon().name("derphole-pipe-size").start(() -> PipeBuffers.grow(STDIN_FD));
        }
    }
}
