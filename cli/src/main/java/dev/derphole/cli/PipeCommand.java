package dev.derphole.cli;

import java.io.IOException;
import java.util.concurrent.Callable;

import dev.derphole.session.relay.RelayUnreachableException;
import dev.derphole.session.token.Capability;
import dev.derphole.session.token.SessionToken;
import dev.derphole.session.transfer.PipeSession;
import dev.derphole.session.transfer.TransferException;
import dev.derphole.session.transfer.TransferSetup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code pipe TOKEN}: stream stdin to the listener that printed the token. */
@Command(mixinStandardHelpOptions = true, name = "pipe", description = {
    "Send stdin to a `derphole listen` that printed TOKEN. Exits 0 once the listener has every byte."})
final class PipeCommand implements Callable<Integer> {
    @Parameters(arity = "0..1", paramLabel = "TOKEN", description = "The token `listen` printed.")
    String token;

    @Mixin
    TokenSource tokenSource = new TokenSource();

    @Option(names = "--force-relay", description = "Never leave the relay for a direct path.")
    boolean forceRelay;

    @Option(names = {"-P", "--parallel"}, paramLabel = "N|auto", defaultValue = "auto",
        description = "Direct UDP lanes: 1..16 or auto (default: ${DEFAULT-VALUE}). Once the direct path is up, "
            + "N-1 more UDP sockets are opened and validated with the listener (within 1.5 s; lanes that do not "
            + "answer are dropped), each with its own sender thread, pacing and rate. auto: by the measured rate "
            + "(1 lane up to 350 Mbit/s, 2 up to 700, 4 up to 1200, else 8) within what the cores allow (1 lane "
            + "on 2 cores or fewer, else one per two cores). No effect with --force-relay.")
    String parallel;

    private final Terminal terminal;

    PipeCommand(final Terminal terminal, final GlobalOptions global) {
        this.terminal = terminal;
    }

    @Override
    public Integer call() throws IOException, InterruptedException {
        final int lanes = Lanes.resolve(parallel, Runtime.getRuntime().availableProcessors());
        final SessionToken decoded = Transfers.decode(tokenSource.read(token, terminal.in()), Capability.STDIO,
            "pipe");
        final ShutdownSignal signal = ShutdownSignal.install(ExitCode.RUNTIME);
        final TransferSetup setup = Transfers.joining(decoded, forceRelay);
        // The joining setup's map is the public map; the token names a node in it or carries its own URL.
        try (PipeSession session = new PipeSession(setup, Transfers.events(terminal), decoded, setup.map())
            .parallel(lanes, Lanes.parse(parallel) == Lanes.AUTO).earlyRelay(EarlyJoin.take())) {
            signal.onSignal(() -> session.abort("interrupted"));
            Transfers.growPayloadIn(terminal);
            session.send(terminal.in());
            return ExitCode.OK;
        } catch (final RelayUnreachableException e) {
            return CommandRunner.report(new UserFacingException(ExitCode.RUNTIME, e.getMessage(),
                "the listener's relay must be reachable from here too", e), terminal);
        } catch (final TransferException e) {
            return CommandRunner.report(UserFacingException.runtime(e.getMessage()), terminal);
        } finally {
            signal.done();
        }
    }
}
