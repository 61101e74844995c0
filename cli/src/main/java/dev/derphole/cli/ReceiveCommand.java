package dev.derphole.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;

import dev.derphole.session.payload.DirectoryMetadata;
import dev.derphole.session.payload.PayloadBody;
import dev.derphole.session.payload.PayloadException;
import dev.derphole.session.payload.PayloadHeader;
import dev.derphole.session.payload.PayloadHeaders;
import dev.derphole.session.payload.ReceiveTarget;
import dev.derphole.session.payload.TarException;
import dev.derphole.session.payload.TarExtractor;
import dev.derphole.session.payload.VerifyCode;
import dev.derphole.session.relay.RelayUnreachableException;
import dev.derphole.session.token.Capability;
import dev.derphole.session.token.SessionToken;
import dev.derphole.session.transfer.ReceiveSession;
import dev.derphole.session.transfer.TransferException;
import dev.derphole.session.transfer.TransferSetup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code receive CODE}: take what {@code derphole send} offers under the code. */
@Command(mixinStandardHelpOptions = true, name = "receive", aliases = {"rx", "recv", "recieve"}, description = {
    "Receive what `derphole send` offers under CODE: text to stdout, a file or a directory into the working "
        + "directory (or -o). Nothing is left half-written: a file or directory appears only once complete."})
final class ReceiveCommand implements Callable<Integer> {
    /** Bytes buffered between the session and the file or extractor. */
    private static final int PIPE_BYTES = 4 << 20;

    @Parameters(arity = "0..1", paramLabel = "CODE", description = "The code `derphole send` printed.")
    String code;

    @Option(names = {"-o", "--output"}, paramLabel = "PATH", description = "Where to put a file or directory: an "
        + "existing directory (it goes inside, under its own name), or the path itself.")
    String output;

    @Option(names = "--force-relay", description = "Never leave the relay for a direct path.")
    boolean forceRelay;

    @Option(names = "--hide-progress", description = "Do not show the progress bar.")
    boolean hideProgress;

    private final Terminal terminal;

    ReceiveCommand(final Terminal terminal, final GlobalOptions global) {
        this.terminal = terminal;
    }

    @Override
    public Integer call() throws IOException, InterruptedException {
        if (code == null || code.isBlank()) {
            throw UserFacingException.usage("no code: give the one `derphole send` printed");
        }
        final String text = code.strip();
        final SessionToken token = Transfers.decode(text, Capability.OFFER, "receive");
        final ShutdownSignal signal = ShutdownSignal.install(ExitCode.RUNTIME);
        final TransferSetup setup = Transfers.joining(token, forceRelay);
        final BytePipe pipe = new BytePipe(PIPE_BYTES);
        try (ReceiveSession session = new ReceiveSession(setup, Transfers.events(terminal), token, setup.map())
            .earlyRelay(EarlyJoin.take())) {
            signal.onSignal(() -> session.abort("interrupted"));
            final FutureTask<Long> receiving = new FutureTask<>(() -> {
                try (OutputStream sink = pipe.sink()) {
                    return session.receive(sink);
                } catch (final TransferException | RuntimeException e) {
                    pipe.fail(e.getMessage());
                    throw e;
                }
            });
            Thread.ofPlatform().name("derphole-receive").start(receiving);
            try (InputStream source = pipe.source()) {
                materialize(source, text);
            } catch (final PayloadException | TarException | IOException e) {
                session.abort(e.getMessage());
                final String sessionFailure = failure(receiving);
                throw UserFacingException.runtime(sessionFailure != null ? sessionFailure : e.getMessage());
            }
            final String failure = failure(receiving);
            if (failure != null) {
                throw UserFacingException.runtime(failure);
            }
            return ExitCode.OK;
        } finally {
            signal.done();
        }
    }

    /** The session's own failure (it comes first: the payload's error is then only its echo), or null. */
    private static String failure(final FutureTask<Long> receiving) throws InterruptedException {
        try {
            receiving.get();
            return null;
        } catch (final ExecutionException e) {
            final Throwable cause = e.getCause();
            if (cause instanceof RelayUnreachableException r) {
                throw new UserFacingException(ExitCode.RUNTIME, r.getMessage(),
                    "the sender's relay must be reachable from here too", r);
            }
            return cause.getMessage() == null ? cause.toString() : cause.getMessage();
        }
    }

    /** Reads the header, checks it belongs to this code, then puts the body where it goes. */
    private void materialize(final InputStream source, final String tokenText)
        throws IOException, PayloadException, TarException {
        final PayloadHeader header = PayloadHeaders.read(source);
        VerifyCode.check(header, tokenText);
        final Path workingDir = Path.of("").toAbsolutePath();
        switch (header.kind()) {
            case TEXT -> {
                try (OutputStream out = Transfers.payloadOut(terminal)) {
                    source.transferTo(out);
                }
            }
            case FILE -> receiveFile(source, header, ReceiveTarget.file(workingDir, output, header.name()));
            case DIRECTORY_TAR -> receiveDirectory(source, header,
                ReceiveTarget.directory(workingDir, output, header.name()));
            default -> throw new PayloadException("this code carries " + header.kind().wireName()
                + ", which this version of derphole does not receive");
        }
    }

    /** Into a hidden file beside the target, moved over it once every byte is there. */
    private void receiveFile(final InputStream source, final PayloadHeader header, final Path target)
        throws IOException, PayloadException {
        terminal.info("Receiving file (" + ProgressLine.size(header.size()) + ") into: \"" + target + "\"");
        final Path parent = target.toAbsolutePath().getParent();
        // Created like any new file (the umask's mode), not as a temporary file (0600), since it becomes the file;
        // CREATE_NEW (O_EXCL) never opens what another process put there under the name.
        final Path partial = parent.resolve("." + target.getFileName() + "."
            + Long.toHexString(java.util.concurrent.ThreadLocalRandom.current().nextLong()) + ".derphole-partial");
        final ProgressInput progress = progress(source, header.size());
        boolean done = false;
        try {
            try (OutputStream out = Files.newOutputStream(partial, StandardOpenOption.CREATE_NEW,
                StandardOpenOption.WRITE)) {
                PayloadBody.copyFile(progress, out, header.size());
            }
            Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            done = true;
            progress.finish();
        } finally {
            if (!done) {
                progress.abort();
                Files.deleteIfExists(partial);
            }
        }
    }

    private void receiveDirectory(final InputStream source, final PayloadHeader header, final Path target)
        throws IOException, TarException {
        terminal.info("Receiving directory (" + ProgressLine.size(header.size()) + ") into: \"" + target + "/\"");
        final DirectoryMetadata metadata = header.metadata();
        if (metadata != null) {
            terminal.info(Offer.files(metadata.fileCount()) + ", " + ProgressLine.size(metadata.uncompressedBytes())
                + " (uncompressed)");
        }
        final ProgressInput progress = progress(source, header.size());
        boolean done = false;
        try {
            TarExtractor.extract(progress, target);
            done = true;
            progress.finish();
        } finally {
            if (!done) {
                progress.abort();
            }
        }
    }

    private ProgressInput progress(final InputStream source, final long size) {
        return new ProgressInput(source, terminal.err(), size,
            !hideProgress && terminal.verbosity() != Terminal.Verbosity.SILENT);
    }
}
