package dev.derphole.session.transfer;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.function.Supplier;

import dev.derphole.session.relay.RelayConnector;
import dev.derphole.session.relay.RelayUnreachableException;
import dev.derphole.session.token.RelayBootstrap;
import dev.derphole.session.token.SessionToken;

/**
 * A relay connection opened before the command line is parsed. The joining side ({@code pipe TOKEN}) knows its relay
 * from the token alone, so the connection (key pair, TCP, TLS for https, the DERP handshake: 40-60 ms of a cold
 * start) runs while picocli builds its model and the command sets up, instead of after. A {@link PipeSession} takes
 * it when it is for the relay its token names ({@link #take}); otherwise it is closed (and if nobody takes it, the
 * process is ending on a usage error). Thread-safe.
 */
public final class EarlyRelay {
    private final RelayBootstrap bootstrap;
    private final CompletableFuture<RelayConnector.Connected> connection = new CompletableFuture<>();
    private boolean taken;

    private EarlyRelay(final RelayBootstrap bootstrap) {
        this.bootstrap = bootstrap;
    }

    /** Starts connecting to {@code token}'s relay on a daemon thread, with the joining side's {@code setup}. */
    public static EarlyRelay start(final SessionToken token, final Supplier<TransferSetup> setup) {
        final EarlyRelay early = new EarlyRelay(token.relay());
        Thread.ofPlatform().daemon().name("derphole-early-relay").start(() -> {
            try {
                final TransferSetup s = setup.get();
                early.connection.complete(JoinedSession.connect(s, token.relay(), s.map()));
            } catch (final RelayUnreachableException | RuntimeException e) {
                early.connection.completeExceptionally(e);
            }
        });
        return early;
    }

    /**
     * The connection, when it is to {@code wanted}; null when it is to another relay (then it is closed) or was
     * taken before. Waits for the connection to finish; its failure is this call's.
     *
     * @throws RelayUnreachableException when the relay could not be reached
     */
    RelayConnector.Connected take(final RelayBootstrap wanted) throws RelayUnreachableException, InterruptedException {
        synchronized (this) {
            if (taken) {
                return null;
            }
            taken = true;
        }
        if (!bootstrap.equals(wanted)) {
            connection.thenAccept(c -> c.client().close()); // now, or once it is there
            return null;
        }
        try {
            return connection.get();
        } catch (final ExecutionException e) {
            throw Prepared.rethrow(e, RelayUnreachableException.class);
        }
    }
}
