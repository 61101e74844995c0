package dev.derphole.cli;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
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
import dev.derphole.session.transfer.ListenSession;
import dev.derphole.session.transfer.TransferException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ssh invite}: receive one SSH public key and add it to authorized_keys. */
@Command(mixinStandardHelpOptions = true, name = "invite", description = {
    "Print a token; the machine that should get SSH access runs `derphole ssh accept TOKEN`, and its public key is "
        + "added to ~/.ssh/authorized_keys (of --user if given). Exits 0 once the key is there."})
final class SshInviteCommand implements Callable<Integer> {
    /** The most an accept may send: its header and one key line. */
    private static final int MAX_PAYLOAD_BYTES = 64 * 1024 + SshPublicKey.MAX_LINE_BYTES;

    @Option(names = {"-u", "--user"}, paramLabel = "USER", description = "Add the key to this user's "
        + "authorized_keys instead of yours (as root: the files are made that user's).")
    String user;

    @Option(names = "--force-relay", description = "Never leave the relay for a direct path.")
    boolean forceRelay;

    private final Terminal terminal;
    private final GlobalOptions global;

    SshInviteCommand(final Terminal terminal, final GlobalOptions global) {
        this.terminal = terminal;
        this.global = global;
    }

    @Override
    public Integer call() throws IOException, InterruptedException {
        final AuthorizedKeys keys = AuthorizedKeys.of(user, Path.of("/etc/passwd"),
            AuthorizedKeys.home(terminal));
        final ShutdownSignal signal = ShutdownSignal.install(ExitCode.RUNTIME);
        try (ListenSession session = new ListenSession(Transfers.issuing(global, terminal, forceRelay),
            Transfers.events(terminal), Capability.ATTACH)) {
            signal.onSignal(() -> session.abort("interrupted"));
            final String token = open(session).encode();
            terminal.info("On the other machine, run:");
            terminal.always("derphole ssh accept " + token);
            final Bounded received = new Bounded(MAX_PAYLOAD_BYTES);
            session.receive(received);
            final SshPublicKey key = key(received.toByteArray(), token);
            terminal.info((keys.add(key) ? "Appended SSH public key to " : "SSH public key already in ") + keys);
            return ExitCode.OK;
        } catch (final TransferException e) {
            return CommandRunner.report(UserFacingException.runtime(e.getMessage()), terminal);
        } finally {
            signal.done();
        }
    }

    /** The key in an accept's payload: its header first (kind and verify code), then one key line. */
    private static SshPublicKey key(final byte[] payload, final String token) {
        try {
            final InputStream in = new ByteArrayInputStream(payload);
            final PayloadHeader header = PayloadHeaders.read(in);
            if (header.kind() != PayloadKind.SSH_ACCEPT) {
                throw new PayloadException("expected an SSH public key, got " + header.kind().wireName());
            }
            VerifyCode.check(header, token);
            return SshPublicKey.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (final PayloadException | IOException e) {
            throw UserFacingException.runtime("nothing added: " + e.getMessage());
        }
    }

    private static SessionToken open(final ListenSession session) {
        try {
            return session.open();
        } catch (final RelayUnreachableException e) {
            throw new UserFacingException(ExitCode.RUNTIME, e.getMessage(), Relays.RELAY_HINT, e);
        }
    }

    /** Collects at most {@code limit} bytes; more fails the stream (an accept sends one short line). */
    private static final class Bounded extends OutputStream {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        private final int limit;

        Bounded(final int limit) {
            this.limit = limit;
        }

        @Override
        public void write(final byte[] b, final int off, final int len) throws IOException {
            if (bytes.size() + len > limit) {
                throw new IOException("more than " + limit + " bytes: not an SSH public key");
            }
            bytes.write(b, off, len);
        }

        @Override
        public void write(final int b) throws IOException {
            write(new byte[] {(byte)b}, 0, 1);
        }

        byte[] toByteArray() {
            return bytes.toByteArray();
        }
    }
}
