package dev.derphole.session.transfer;

import dev.derphole.crypto.KeyPurpose;
import dev.derphole.lanes.StreamKeys;
import dev.derphole.session.token.SessionToken;

/**
 * The stream keys of a one-shot transfer, from the token's secret: data flows claimer → listener for
 * {@code listen}/{@code pipe}, issuer → claimer for {@code send}/{@code receive}. Each key is used by one side
 * only (its data, or its acknowledgements), and one stream per session, so packet numbers never restart under a
 * key.
 */
final class StreamKeying {
    private static final int CLAIMER_TO_LISTENER_PREFIX = 0x434c_0001;
    private static final int LISTENER_TO_CLAIMER_PREFIX = 0x4c43_0001;

    private StreamKeying() {
    }

    /** Keys for a stream whose data goes from the claimer to the listener. */
    static StreamKeys claimerToListener(final SessionToken token) {
        return StreamKeys.of(
            token.keys().keyBytes(KeyPurpose.STREAM_CLAIMER_TO_LISTENER, 32), CLAIMER_TO_LISTENER_PREFIX,
            token.keys().keyBytes(KeyPurpose.STREAM_LISTENER_TO_CLAIMER, 32), LISTENER_TO_CLAIMER_PREFIX);
    }

    /** Keys for a stream whose data goes from the issuer ({@code send}) to the claimer ({@code receive}). */
    static StreamKeys listenerToClaimer(final SessionToken token) {
        return StreamKeys.of(
            token.keys().keyBytes(KeyPurpose.STREAM_LISTENER_TO_CLAIMER, 32), LISTENER_TO_CLAIMER_PREFIX,
            token.keys().keyBytes(KeyPurpose.STREAM_CLAIMER_TO_LISTENER, 32), CLAIMER_TO_LISTENER_PREFIX);
    }
}
