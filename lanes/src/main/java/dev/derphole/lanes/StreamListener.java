package dev.derphole.lanes;

import dev.derphole.udp.PacketPath;

/**
 * Stream milestones for status lines ({@code --verbose}) and the session. Called on the engine thread: return
 * quickly and never block. Every method has an empty default.
 */
public interface StreamListener {
    /** Receiver: the first authenticated DATA arrived. Sender: the first ACK arrived. */
    default void onFirstData() {
    }

    /** The engine applied a path switch; {@code path} now carries everything we send. */
    default void onPathSwitched(final PacketPath path) {
    }

    /** The stream completed: every byte was delivered (receiver) or acknowledged as delivered (sender). */
    default void onComplete(final long bytes) {
    }

    /** Does nothing. */
    StreamListener NONE = new StreamListener() {
    };
}
