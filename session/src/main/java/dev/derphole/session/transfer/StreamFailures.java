package dev.derphole.session.transfer;

import dev.derphole.lanes.StreamException;

/** Turns stream engine failures into one-line user messages. */
final class StreamFailures {
    private StreamFailures() {
    }

    static TransferException of(final StreamException e, final String peerGoneHint) {
        final String message = e.getMessage() == null ? e.reason().name() : e.getMessage();
        return switch (e.reason()) {
            case PEER_VANISHED -> new TransferException(message + peerGoneHint, e);
            default -> new TransferException(message, e);
        };
    }
}
