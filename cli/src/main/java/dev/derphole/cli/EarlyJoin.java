package dev.derphole.cli;

import java.time.Clock;

import dev.derphole.session.token.SessionToken;
import dev.derphole.session.token.TokenException;
import dev.derphole.session.transfer.EarlyRelay;

/**
 * {@code pipe TOKEN} and {@code receive CODE}: the token's relay connection, started by {@link DerpholeMain#main}
 * before picocli parses the arguments (see {@link EarlyRelay}). Only a token given as a word of the command line
 * counts: one from a file or stdin waits for the command. A word that is not a current token starts nothing; the
 * command reports it.
 */
final class EarlyJoin {
    /** Shortest token text (a custom relay's adds its URL). */
    private static final int MIN_TOKEN_LENGTH = 40;
    private static volatile EarlyRelay started;

    private EarlyJoin() {
    }

    /**
     * Starts the connection for the first word of {@code args} that decodes as a current token (shorter words are
     * not tried: subcommand names, options, values).
     */
    static void start(final String[] args) {
        for (final String arg : args) {
            if (arg.length() >= MIN_TOKEN_LENGTH) {
                try {
                    final SessionToken token = SessionToken.decode(arg, Clock.systemUTC());
                    started = EarlyRelay.start(token, () -> Transfers.joining(token, false));
                    return;
                } catch (final TokenException e) {
                    // not a token after all: maybe an option's value
                }
            }
        }
    }

    /** The connection started at process start, once; null when none was. */
    static EarlyRelay take() {
        final EarlyRelay early = started;
        started = null;
        return early;
    }
}
