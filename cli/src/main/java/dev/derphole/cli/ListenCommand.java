package dev.derphole.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.util.concurrent.Callable;

import dev.derphole.session.relay.RelayUnreachableException;
import dev.derphole.session.token.SessionToken;
import dev.derphole.session.transfer.ListenSession;
import dev.derphole.session.transfer.TransferException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code listen}: print a token, receive one sender's stream on stdout. */
@Command(mixinStandardHelpOptions = true, name = "listen", description = {
    "Receive a byte stream on stdout. Prints a token on stderr; the sender runs `derphole pipe TOKEN`.",
    "Exits 0 once every byte has arrived."})
final class ListenCommand implements Callable<Integer> {
    @Option(names = "--print-token-only", description = "Print the token as the first line of stdout "
        + "(the payload follows it) and nothing else on stderr.")
    boolean printTokenOnly;

    @Option(names = "--force-relay", description = "Never leave the relay for a direct path.")
    boolean forceRelay;

    private final Terminal terminal;
    private final GlobalOptions global;

    ListenCommand(final Terminal terminal, final GlobalOptions global) {
        this.terminal = terminal;
        this.global = global;
    }

    @Override
    public Integer call() throws IOException, InterruptedException {
        final ShutdownSignal signal = ShutdownSignal.install(ExitCode.RUNTIME);
        try (ListenSession session = new ListenSession(Transfers.issuing(global, terminal, forceRelay),
            Transfers.events(terminal))) {
            signal.onSignal(() -> session.abort("interrupted"));
            final SessionToken token = open(session);
            final OutputStream out = Transfers.payloadOut(terminal);
            if (printTokenOnly) {
                terminal.payload().write((token.encode() + "\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                terminal.payload().flush();
            } else {
                terminal.always(token.encode());
                terminal.info("On the sending machine, run: derphole pipe <token>   "
                    + "(or --token-file F / --token-stdin)");
            }
            try {
                session.receive(out);
            } finally {
                out.close();
            }
            return ExitCode.OK;
        } catch (final TransferException e) {
            return CommandRunner.report(UserFacingException.runtime(e.getMessage()), terminal);
        } finally {
            signal.done();
        }
    }

    private static SessionToken open(final ListenSession session) {
        try {
            return session.open();
        } catch (final RelayUnreachableException e) {
            throw new UserFacingException(ExitCode.RUNTIME, e.getMessage(), Relays.RELAY_HINT, e);
        }
    }
}
