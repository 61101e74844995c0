package dev.derphole.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.IntSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.derphole.derp.map.DerpNode;
import dev.derphole.derp.server.DerpServer;
import dev.derphole.derp.server.DerpServerConfig;
import dev.derphole.udp.DatagramEngines;

/**
 * The training run of the JDK's AOT cache (JEP 483/514/515), started at build time by {@code bin/lib/aot-train.sh}
 * with {@code -XX:AOTCacheOutput}: what this JVM loads, links and profiles is what {@code bin/derphole} finds ready
 * at start-up. In one JVM: our relay on 127.0.0.1 (plain HTTP, no STUN), then {@code listen} and {@code pipe}
 * through {@link DerpholeMain#execute} moving {@link #DEFAULT_BYTES} from memory to a counting sink, direct over
 * loopback (loopback candidates allowed by {@link Transfers#ALLOW_LOOPBACK_PROPERTY}; that also keeps the port
 * mapper away from the real gateway). So picocli, the DERP client, the rendezvous, the UDP engine, the stream
 * engines and AES-GCM are all trained. Nothing leaves loopback.
 * <p>
 * Exits 0 when every byte arrived over a direct path, else 1 with one line on stderr. Runs on the main thread
 * plus one thread per command; not reentrant.
 */
final class AotTraining {
    /** Bytes moved: enough for the direct path to take over and the stream's hot loops to be profiled. */
    static final long DEFAULT_BYTES = 48L << 20;
    /** Hard limit for the whole transfer, in ms. */
    static final long TIMEOUT_MS = 60_000;
    /** What {@code listen} prints for the sender: the token line. */
    private static final Pattern TOKEN = Pattern.compile("^([A-Za-z0-9_-]{40,})$", Pattern.MULTILINE);
    /** How often the token is looked for, in ms. */
    private static final long POLL_MS = 10;

    private AotTraining() {
    }

    /** {@code AotTraining [BYTES]}. */
    public static void main(final String[] args) {
        int code = 0;
        try {
            final long bytes = args.length > 0 ? Long.parseLong(args[0]) : DEFAULT_BYTES;
            final long moved = run(bytes, TIMEOUT_MS);
            System.err.println("aot-training: moved " + moved + " bytes direct over loopback");
        } catch (final TrainingException | NumberFormatException | IOException e) {
            System.err.println("aot-training: failed: " + e.getMessage());
            code = 1;
        } catch (final InterruptedException e) {
            System.err.println("aot-training: failed: interrupted");
            code = 1;
        }
        System.exit(code);
    }

    /**
     * Runs the tool's and both commands' {@code --help}, then one transfer of {@code bytes}; returns the bytes
     * that arrived.
     *
     * @throws TrainingException a command failed, did not go direct, lost bytes or overran {@code timeoutMs}
     */
    static long run(final long bytes, final long timeoutMs) throws IOException, InterruptedException {
        final String allowLoopback = System.setProperty(Transfers.ALLOW_LOOPBACK_PROPERTY, "1");
        try {
            return train(bytes, timeoutMs);
        } finally {
            if (allowLoopback == null) {
                System.clearProperty(Transfers.ALLOW_LOOPBACK_PROPERTY);
            } else {
                System.setProperty(Transfers.ALLOW_LOOPBACK_PROPERTY, allowLoopback);
            }
        }
    }

    private static long train(final long bytes, final long timeoutMs) throws IOException, InterruptedException {
        DatagramEngines.prepareInBackground();
        // A command's help builds only its own model; the tool's builds every one, so the cache keeps the classes
        // of the commands a transfer never builds (for `derphole --help`, netcheck, a usage error).
        for (final String[] command : new String[][] {{"--help"}, {"listen", "--help"}, {"pipe", "--help"}}) {
            final Captured help = new Captured();
            final int code = DerpholeMain.execute(help.terminal(InputStream.nullInputStream()), command);
            if (code != ExitCode.OK || !help.out().contains("Usage:")) {
                throw new TrainingException(String.join(" ", command) + " exited " + code);
            }
        }
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        try (DerpServer relay = new DerpServer(DerpServerConfig.builder().listen("127.0.0.1:0").build()).start()) {
            final String url = RelayCommand.relayUrl(false, "127.0.0.1", relay.localAddress().getPort(),
                DerpNode.STUN_DISABLED);
            final Captured listener = new Captured();
            final CompletableFuture<Integer> listen = start("aot-listen", () -> DerpholeMain.execute(
                listener.terminal(InputStream.nullInputStream()), "-v", "--derp-url", url, "listen"));
            final String token = awaitToken(listener, listen, deadline);
            final Captured sender = new Captured();
            EarlyJoin.start(new String[] {"pipe", token}); // as DerpholeMain.main does
            final CompletableFuture<Integer> pipe = start("aot-pipe", () -> DerpholeMain.execute(
                sender.terminal(new PatternInput(bytes)), "-v", "pipe", token));
            final int pipeCode = await(pipe, "pipe", deadline);
            final int listenCode = await(listen, "listen", deadline);
            if (pipeCode != ExitCode.OK || listenCode != ExitCode.OK) {
                throw new TrainingException("pipe exited " + pipeCode + ", listen " + listenCode + ": "
                    + lastLine(sender.err()) + " / " + lastLine(listener.err()));
            }
            if (listener.payloadBytes() != bytes) {
                throw new TrainingException("listen received " + listener.payloadBytes() + " of " + bytes + " bytes");
            }
            if (!listener.err().contains("connected-direct")) {
                throw new TrainingException("the transfer never went direct: " + lastLine(listener.err()));
            }
            return listener.payloadBytes();
        }
    }

    private static CompletableFuture<Integer> start(final String name, final IntSupplier task) {
        final CompletableFuture<Integer> result = new CompletableFuture<>();
        Thread.ofPlatform().daemon().name(name).start(() -> {
            try {
                result.complete(task.getAsInt());
            } catch (final RuntimeException | Error e) {
                result.completeExceptionally(e);
            }
        });
        return result;
    }

    private static String awaitToken(final Captured listener, final CompletableFuture<Integer> listen,
        final long deadline) throws InterruptedException {
        while (System.nanoTime() < deadline) {
            final Matcher m = TOKEN.matcher(listener.err());
            if (m.find()) {
                return m.group(1);
            }
            if (listen.isDone()) {
                throw new TrainingException("listen exited before printing a token: " + lastLine(listener.err()));
            }
            Thread.sleep(POLL_MS);
        }
        throw new TrainingException("listen printed no token in time");
    }

    private static int await(final CompletableFuture<Integer> command, final String name, final long deadline)
        throws InterruptedException {
        try {
            return command.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (final TimeoutException e) {
            throw new TrainingException(name + " did not finish in time");
        } catch (final ExecutionException e) {
            throw new TrainingException(name + " crashed: " + e.getCause());
        }
    }

    private static String lastLine(final String text) {
        final String trimmed = text.strip();
        return trimmed.substring(trimmed.lastIndexOf('\n') + 1);
    }

    /** A failed training: one line for the build log. */
    static final class TrainingException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        TrainingException(final String message) {
            super(message);
        }
    }

    /** One command's terminal: stderr kept as text, stdout counted and dropped. Shared by the command's threads. */
    private static final class Captured {
        private final ByteArrayOutputStream err = new ByteArrayOutputStream();
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();
        private final CountingSink payload = new CountingSink(out);

        Terminal terminal(final InputStream in) {
            return new Terminal(in, new PrintStream(payload, true, StandardCharsets.UTF_8),
                new PrintStream(new Locked(err), true, StandardCharsets.UTF_8), Map.of());
        }

        String err() {
            synchronized (err) {
                return err.toString(StandardCharsets.UTF_8);
            }
        }

        String out() {
            synchronized (out) {
                return out.toString(StandardCharsets.UTF_8);
            }
        }

        long payloadBytes() {
            return payload.count;
        }
    }

    /** Counts what is written; keeps the first few KiB (help text), drops the rest. */
    private static final class CountingSink extends OutputStream {
        /** Text kept for {@link Captured#out()}, in bytes. */
        private static final int KEEP_BYTES = 64 << 10;
        private final ByteArrayOutputStream kept;
        private volatile long count;

        CountingSink(final ByteArrayOutputStream kept) {
            this.kept = kept;
        }

        @Override
        public void write(final int b) {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(final byte[] b, final int off, final int len) {
            if (count < KEEP_BYTES) {
                synchronized (kept) {
                    kept.write(b, off, (int) Math.min(len, KEEP_BYTES - count));
                }
            }
            count += len;
        }
    }

    /** Writes to a byte buffer under its lock, so another thread can read it while the command runs. */
    private static final class Locked extends OutputStream {
        private final ByteArrayOutputStream target;

        Locked(final ByteArrayOutputStream target) {
            this.target = target;
        }

        @Override
        public void write(final int b) {
            synchronized (target) {
                target.write(b);
            }
        }

        @Override
        public void write(final byte[] b, final int off, final int len) {
            synchronized (target) {
                target.write(b, off, len);
            }
        }
    }

    /** {@code length} bytes of a repeated pseudo-random block: costs no allocation per read. */
    private static final class PatternInput extends InputStream {
        /** Size of the repeated block, in bytes. */
        private static final int BLOCK_BYTES = 64 << 10;
        private static final long SEED = 483;
        private final byte[] block = new byte[BLOCK_BYTES];
        private long remaining;

        PatternInput(final long length) {
            this.remaining = length;
            new SplittableRandom(SEED).nextBytes(block);
        }

        @Override
        public int read() {
            if (remaining <= 0) {
                return -1;
            }
            remaining--;
            return block[(int) (remaining % BLOCK_BYTES)] & 0xff;
        }

        @Override
        public int read(final byte[] b, final int off, final int len) {
            if (remaining <= 0) {
                return -1;
            }
            final int position = (int) (remaining % BLOCK_BYTES);
            final int n = (int) Math.min(Math.min(len, remaining), BLOCK_BYTES - position);
            System.arraycopy(block, position, b, off, n);
            remaining -= n;
            return n;
        }
    }
}
