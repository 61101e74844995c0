package dev.derphole.session.path;

import dev.derphole.derp.proto.NodeKey;

/**
 * The bytes that bind a control packet to one session and one direction: {@code label | session id | sender DERP
 * key | receiver DERP key}. A MAC or AEAD over them makes a packet of another session, or one reflected back at
 * its sender (the keys swap places), fail. Stateless.
 */
final class DirectionContext {
    private DirectionContext() {
    }

    static byte[] of(final byte[] label, final byte[] sessionId, final NodeKey from, final NodeKey to) {
        final byte[] c = new byte[label.length + sessionId.length + 64];
        System.arraycopy(label, 0, c, 0, label.length);
        System.arraycopy(sessionId, 0, c, label.length, sessionId.length);
        from.write(c, label.length + sessionId.length);
        to.write(c, label.length + sessionId.length + 32);
        return c;
    }
}
