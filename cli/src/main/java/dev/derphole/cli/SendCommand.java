package dev.derphole.cli;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.util.concurrent.Callable;

import dev.derphole.session.payload.PayloadHeader;
import dev.derphole.session.payload.PayloadHeaders;
import dev.derphole.session.payload.VerifyCode;
import dev.derphole.session.relay.RelayUnreachableException;
import dev.derphole.session.token.SessionToken;
import dev.derphole.session.transfer.OfferSession;
import dev.derphole.session.transfer.TransferException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code send [WHAT]}: offer a file, a directory or text under a code for {@code derphole receive}. */
@Command(mixinStandardHelpOptions = true, name = "send", aliases = "tx", description = {
    "Send a file, a directory or text. Prints a code on stderr; the receiver runs `derphole receive CODE`. Exits 0 "
        + "once the receiver has every byte."})
final class SendCommand implements Callable<Integer> {
    @Parameters(arity = "0..1", paramLabel = "WHAT", description = "An existing file, an existing directory (sent "
        + "as a tar stream and re-created on the other side), or else text; without it, stdin is sent as text.")
    String what;

    @Option(names = "--force-relay", description = "Never leave the relay for a direct path.")
    boolean forceRelay;

    @Option(names = "--hide-progress", description = "Do not show the progress bar.")
    boolean hideProgress;

    private final Terminal terminal;
    private final GlobalOptions global;

    SendCommand(final Terminal terminal, final GlobalOptions global) {
        this.terminal = terminal;
        this.global = global;
    }

    @Override
    public Integer call() throws IOException, InterruptedException {
        final Offer offer = Offer.of(what);
        final ShutdownSignal signal = ShutdownSignal.install(ExitCode.RUNTIME);
        ProgressInput progress = null;
        try (OfferSession session = new OfferSession(Transfers.issuing(global, terminal, forceRelay),
            Transfers.events(terminal))) {
            signal.onSignal(() -> session.abort("interrupted"));
            final String code = open(session).encode();
            terminal.info("On the other machine, run:");
            terminal.always("derphole receive " + code);
            terminal.info(offer.summary());
            final PayloadHeader header = offer.header().withVerify(VerifyCode.of(code));
            try (InputStream body = open(offer)) {
                progress = new ProgressInput(body, terminal.err(), offer.size(),
                    offer.hasProgress() && !hideProgress && terminal.verbosity() != Terminal.Verbosity.SILENT);
                session.send(new SequenceInputStream(new ByteArrayInputStream(PayloadHeaders.encode(header)),
                    progress));
            }
            progress.finish();
            return ExitCode.OK;
        } catch (final TransferException e) {
            if (progress != null) {
                progress.abort();
            }
            return CommandRunner.report(UserFacingException.runtime(e.getMessage()), terminal);
        } finally {
            signal.done();
        }
    }

    private InputStream open(final Offer offer) {
        try {
            return offer.openBody(terminal.in());
        } catch (final IOException e) {
            throw UserFacingException.runtime("cannot read " + what + ": " + e.getMessage());
        }
    }

    private static SessionToken open(final OfferSession session) {
        try {
            return session.open();
        } catch (final RelayUnreachableException e) {
            throw new UserFacingException(ExitCode.RUNTIME, e.getMessage(), Relays.RELAY_HINT, e);
        }
    }
}
