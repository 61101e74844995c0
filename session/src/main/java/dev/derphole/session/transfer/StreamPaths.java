package dev.derphole.session.transfer;

import java.util.concurrent.CountDownLatch;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Supplier;

import dev.derphole.lanes.BulkReceiver;
import dev.derphole.lanes.BulkSender;
import dev.derphole.session.link.RelayPath;
import dev.derphole.session.path.DirectPath;
import dev.derphole.session.path.PathProber;

/**
 * What each end of a one-shot stream does when the direct path comes up, is first heard from, or goes: the sender
 * moves its stream, the receiver answers wherever the newest packet came from. The same whichever side issued the
 * token ({@code listen}/{@code pipe}: the claimer sends; {@code send}/{@code receive}: the issuer does).
 */
final class StreamPaths {
    private StreamPaths() {
    }

    /**
     * For the receiving end.
     *
     * @param finished true once the stream is complete: later path changes are not worth a status line
     */
    static PathProber.Listener receiving(final BulkReceiver receiver, final RelayPath relayPath,
        final SessionEvents events, final BooleanSupplier finished) {
        return new PathProber.Listener() {
            @Override
            public void onDirect(final DirectPath path) {
                // The sender switches; the receiver answers on the path the newest packet came from.
                receiver.attachPath(path);
                if (!finished.getAsBoolean()) { // a promotion racing the end: the user already saw stream-complete
                    events.status("connected-direct");
                }
            }

            @Override
            public void onPeerHeard(final DirectPath path) {
                // The sender may promote this path before we do (our ACK reached it first): its first flight
                // is taken and acknowledged at once instead of held until our own probe is answered.
                receiver.attachPath(path);
            }

            @Override
            public void onFallback() {
                receiver.switchPath(relayPath);
                if (!finished.getAsBoolean()) {
                    events.status("connected-relay");
                }
            }
        };
    }

    /**
     * For the sending end, whose engine may still be in the making when probing starts: a promotion waits for
     * {@code onRelay} (the engine is there and connected-relay was said, so the status lines keep their order).
     *
     * @param sender        the engine, null if it failed (the session is ending)
     * @param afterPromoted called after each promotion that is worth a status line (e.g. to open more lanes)
     */
    static PathProber.Listener sending(final Supplier<BulkSender> sender, final CountDownLatch onRelay,
        final RelayPath relayPath, final SessionEvents events, final BooleanSupplier finished,
        final Consumer<DirectPath> afterPromoted) {
        return new PathProber.Listener() {
            @Override
            public void onDirect(final DirectPath path) {
                try {
                    onRelay.await();
                } catch (final InterruptedException e) {
                    Thread.currentThread().interrupt(); // closing
                    return;
                }
                final BulkSender s = sender.get();
                if (s == null) {
                    return;
                }
                s.switchPath(path);
                if (finished.getAsBoolean()) {
                    return; // a promotion racing the last ACK: the user already saw stream-complete
                }
                events.status("connected-direct");
                afterPromoted.accept(path);
            }

            @Override
            public void onPeerHeard(final DirectPath path) {
                // Nothing to take early: the receiver's only packets on it are ACKs of our stream, which moves
                // there only once the path is validated.
            }

            @Override
            public void onFallback() {
                final BulkSender s = sender.get();
                if (s != null) {
                    s.switchPath(relayPath);
                }
                if (!finished.getAsBoolean()) {
                    events.status("connected-relay");
                }
            }
        };
    }
}
