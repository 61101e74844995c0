package dev.derphole.cli;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

import dev.derphole.session.payload.PayloadException;
import dev.derphole.session.payload.PayloadHeader;
import dev.derphole.session.payload.PayloadHeaders;
import dev.derphole.session.payload.PayloadKind;
import dev.derphole.session.payload.SshPublicKey;
import dev.derphole.session.payload.VerifyCode;
import dev.derphole.session.relay.RelayUnreachableException;
import dev.derphole.session.token.Capability;
import dev.derphole.session.token.SessionToken;
import dev.derphole.session.transfer.PipeSession;
import dev.derphole.session.transfer.TransferException;
import dev.derphole.session.transfer.TransferSetup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code ssh accept TOKEN}: send our SSH public key to the {@code ssh invite} that printed the token. */
@Command(mixinStandardHelpOptions = true, name = "accept", description = {
    "Send your SSH public key to the `derphole ssh invite` that printed TOKEN, after asking (unless --yes)."})
final class SshAcceptCommand implements Callable<Integer> {
    @Parameters(arity = "0..1", paramLabel = "TOKEN", description = "The token `ssh invite` printed.")
    String token;

    @Option(names = {"-F", "--key-file"}, paramLabel = "PATH",
        description = "The public key to send (default: the only *.pub in ~/.ssh).")
    Path keyFile;

    @Option(names = {"-y", "--yes"}, description = "Send without asking.")
    boolean yes;

    @Option(names = "--force-relay", description = "Never leave the relay for a direct path.")
    boolean forceRelay;

    private final Terminal terminal;

    SshAcceptCommand(final Terminal terminal) {
        this.terminal = terminal;
    }

    @Override
    public Integer call() throws IOException, InterruptedException {
        if (token == null || token.isBlank()) {
            throw UserFacingException.usage("no token: give the one `derphole ssh invite` printed");
        }
        final String text = token.strip();
        final SessionToken decoded = Transfers.decode(text, Capability.ATTACH, "ssh accept");
        final Path file = keyFile != null ? keyFile : onlyPublicKey(AuthorizedKeys.home(terminal)
            .resolve(".ssh"));
        final SshPublicKey key = read(file);
        terminal.info("Sending public key type='" + key.type() + "' keyid='" + key.keyId() + "'");
        if (!yes && !confirmed(key)) {
            throw UserFacingException.runtime("not sent");
        }
        final ByteArrayOutputStream payload = new ByteArrayOutputStream();
        PayloadHeaders.write(PayloadHeader.of(PayloadKind.SSH_ACCEPT).withVerify(VerifyCode.of(text)), payload);
        payload.writeBytes((key.line() + "\n").getBytes(StandardCharsets.UTF_8));
        final ShutdownSignal signal = ShutdownSignal.install(ExitCode.RUNTIME);
        final TransferSetup setup = Transfers.joining(decoded, forceRelay);
        try (PipeSession session = new PipeSession(setup, Transfers.events(terminal), decoded, setup.map())) {
            signal.onSignal(() -> session.abort("interrupted"));
            session.send(new ByteArrayInputStream(payload.toByteArray()));
            terminal.info("Public key sent.");
            return ExitCode.OK;
        } catch (final RelayUnreachableException e) {
            return CommandRunner.report(new UserFacingException(ExitCode.RUNTIME, e.getMessage(),
                "the inviting machine's relay must be reachable from here too", e), terminal);
        } catch (final TransferException e) {
            return CommandRunner.report(UserFacingException.runtime(e.getMessage()), terminal);
        } finally {
            signal.done();
        }
    }

    /** The single {@code *.pub} in {@code dir}. */
    static Path onlyPublicKey(final Path dir) {
        final List<Path> found = new ArrayList<>();
        if (Files.isDirectory(dir)) {
            try (DirectoryStream<Path> keys = Files.newDirectoryStream(dir, "*.pub")) {
                keys.forEach(found::add);
            } catch (final IOException e) {
                throw UserFacingException.runtime("cannot list " + dir + ": " + e.getMessage());
            }
        }
        if (found.size() != 1) {
            throw UserFacingException.usage((found.isEmpty() ? "no public key (*.pub) in " : "more than one public "
                + "key (*.pub) in ") + dir + "; pass --key-file");
        }
        return found.getFirst();
    }

    private static SshPublicKey read(final Path file) {
        try {
            return SshPublicKey.parse(Files.readString(file, StandardCharsets.UTF_8));
        } catch (final IOException e) {
            throw UserFacingException.usage("cannot read " + file + ": " + e.getMessage());
        } catch (final PayloadException e) {
            throw UserFacingException.usage(file + ": " + e.getMessage());
        }
    }

    /** Asks on stderr, reads one line of stdin: y or yes sends. */
    private boolean confirmed(final SshPublicKey key) throws IOException {
        terminal.err().print("Really send public key \"" + key.keyId() + "\"? [y/N] ");
        terminal.err().flush();
        final ByteArrayOutputStream line = new ByteArrayOutputStream();
        int b;
        while ((b = terminal.in().read()) >= 0 && b != '\n' && line.size() < 16) {
            line.write(b);
        }
        final String answer = line.toString(StandardCharsets.UTF_8).strip();
        return answer.equalsIgnoreCase("y") || answer.equalsIgnoreCase("yes");
    }
}
