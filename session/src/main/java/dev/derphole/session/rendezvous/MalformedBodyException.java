package dev.derphole.session.rendezvous;

/**
 * An authenticated body that does not parse. Stackless: it is a verdict on peer input, not a fault here.
 * The message is short ASCII and becomes the reason of a MALFORMED reject.
 */
final class MalformedBodyException extends Exception {
    MalformedBodyException(final String message) {
        super(message, null, false, false);
    }
}
