package dev.derphole.session.token;

import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Set;

import dev.derphole.crypto.SessionKeyDerivation;
import dev.derphole.derp.proto.NodeKey;

/**
 * A session token (format version 1): the capability it grants, a random session id, its expiry, how to
 * reach the listener's relay, the listener's DERP and Ed25519 identity public keys, and the 32-byte bearer
 * secret every session key derives from. Text form: {@link #encode()} / {@link #decode(String, Clock)};
 * layout in {@code docs/session-protocol.md}.
 * <p>
 * Immutable; accessors hand out copies. {@link #toString()} never prints the secret.
 */
public final class SessionToken {
    /** The token format version this build writes and reads. */
    public static final int VERSION = 1;
    /** How long a token from {@code listen} lives. */
    public static final Duration DEFAULT_LIFETIME = Duration.ofHours(1);
    /** Length of the session id, bytes. */
    public static final int SESSION_ID_LENGTH = SessionKeyDerivation.SESSION_ID_LENGTH;
    /** Length of the bearer secret, bytes. */
    public static final int SECRET_LENGTH = SessionKeyDerivation.SECRET_LENGTH;
    /**
     * Latest expiry a token may carry: 9999-12-31T23:59:59Z. Bounds the field so that it always converts
     * to an {@link Instant} and prints in four-digit years.
     */
    public static final long MAX_EXPIRES_UNIX_SECONDS = 253_402_300_799L;

    private static final SecureRandom RANDOM = new SecureRandom();

    private final int capabilityBits;
    private final byte[] sessionId;
    private final long expiresUnixSeconds;
    private final RelayBootstrap relay;
    private final NodeKey derpPublicKey;
    private final byte[] identityPublicKey;
    private final byte[] bearerSecret;

    /**
     * A token with every field given; validates them all.
     *
     * @throws IllegalArgumentException when a field has an impossible value (empty or unknown capability
     *                                  set, all-zero id/key/secret, invalid Ed25519 key, expiry out of range)
     */
    public SessionToken(
        final Set<Capability> capabilities,
        final byte[] sessionId,
        final long expiresUnixSeconds,
        final RelayBootstrap relay,
        final NodeKey derpPublicKey,
        final byte[] identityPublicKey,
        final byte[] bearerSecret) {
        this(Capability.bits(capabilities), sessionId, expiresUnixSeconds, relay, derpPublicKey, identityPublicKey,
            bearerSecret);
    }

    SessionToken(
        final int capabilityBits,
        final byte[] sessionId,
        final long expiresUnixSeconds,
        final RelayBootstrap relay,
        final NodeKey derpPublicKey,
        final byte[] identityPublicKey,
        final byte[] bearerSecret) {
        if (capabilityBits == 0 || (capabilityBits & ~Capability.KNOWN_BITS) != 0) {
            throw new IllegalArgumentException("capability bits 0x" + Integer.toHexString(capabilityBits)
                + " are empty or unknown");
        }
        checkNonZero(sessionId, SESSION_ID_LENGTH, "session id");
        if (expiresUnixSeconds < 1 || expiresUnixSeconds > MAX_EXPIRES_UNIX_SECONDS) {
            throw new IllegalArgumentException("expiry out of range: " + expiresUnixSeconds);
        }
        if (relay == null) {
            throw new IllegalArgumentException("relay bootstrap is required");
        }
        checkNonZero(derpPublicKey.toBytes(), 32, "DERP public key");
        if (identityPublicKey.length != IdentityKeyPair.PUBLIC_KEY_LENGTH
            || !IdentityKeyPair.isValidPublicKey(identityPublicKey, 0)) {
            throw new IllegalArgumentException("identity public key is not a valid Ed25519 key");
        }
        checkNonZero(bearerSecret, SECRET_LENGTH, "bearer secret");
        this.capabilityBits = capabilityBits;
        this.sessionId = sessionId.clone();
        this.expiresUnixSeconds = expiresUnixSeconds;
        this.relay = relay;
        this.derpPublicKey = derpPublicKey;
        this.identityPublicKey = identityPublicKey.clone();
        this.bearerSecret = bearerSecret.clone();
    }

    /**
     * A new token as {@code listen} issues it: random session id and bearer secret, expiring
     * {@link #DEFAULT_LIFETIME} from now.
     */
    public static SessionToken issue(
        final Set<Capability> capabilities,
        final RelayBootstrap relay,
        final NodeKey derpPublicKey,
        final byte[] identityPublicKey,
        final Clock clock) {
        return issue(capabilities, relay, derpPublicKey, identityPublicKey, DEFAULT_LIFETIME, clock);
    }

    /** A new token with random id and secret that expires {@code lifetime} (whole seconds) from now. */
    public static SessionToken issue(
        final Set<Capability> capabilities,
        final RelayBootstrap relay,
        final NodeKey derpPublicKey,
        final byte[] identityPublicKey,
        final Duration lifetime,
        final Clock clock) {
        final byte[] id = new byte[SESSION_ID_LENGTH];
        final byte[] secret = new byte[SECRET_LENGTH];
        RANDOM.nextBytes(id);
        RANDOM.nextBytes(secret);
        final long expires = clock.instant().getEpochSecond() + lifetime.toSeconds();
        return new SessionToken(capabilities, id, expires, relay, derpPublicKey, identityPublicKey, secret);
    }

    /**
     * Decodes a pasted token: surrounding whitespace is ignored, everything else is checked strictly, and
     * the token must not have expired by {@code clock}.
     *
     * @throws TokenException with a one-line message for the user; never anything else
     */
    public static SessionToken decode(final String text, final Clock clock) throws TokenException {
        final SessionToken token = TokenCodec.decode(text);
        token.requireUnexpired(clock);
        return token;
    }

    /** The token text: base64url without padding. */
    public String encode() {
        return TokenCodec.encode(this);
    }

    /**
     * Checks that this token grants {@code needed}.
     *
     * @param command the command the user ran, for the message ({@code pipe})
     * @throws TokenException CAPABILITY: {@code this token is for `share`, not `pipe`}
     */
    public void requireCapability(final Capability needed, final String command) throws TokenException {
        if ((capabilityBits & needed.bit()) == 0) {
            throw new TokenException(TokenException.Kind.CAPABILITY,
                "this token is for " + Capability.describe(capabilityBits) + ", not `" + command + "`");
        }
    }

    /** @throws TokenException EXPIRED when {@code clock} is at or past the expiry */
    public void requireUnexpired(final Clock clock) throws TokenException {
        if (isExpired(clock.instant())) {
            throw new TokenException(TokenException.Kind.EXPIRED, "token expired at " + expiresAt());
        }
    }

    /** Expired iff {@code now >= expiry} (whole seconds). */
    public boolean isExpired(final Instant now) {
        return now.getEpochSecond() >= expiresUnixSeconds;
    }

    public Set<Capability> capabilities() {
        return Capability.fromBits(capabilityBits);
    }

    /** The capability byte as on the wire. */
    public int capabilityBits() {
        return capabilityBits;
    }

    public byte[] sessionId() {
        return sessionId.clone();
    }

    public long expiresUnixSeconds() {
        return expiresUnixSeconds;
    }

    public Instant expiresAt() {
        return Instant.ofEpochSecond(expiresUnixSeconds);
    }

    public RelayBootstrap relay() {
        return relay;
    }

    /** The listener's DERP public key: where claims go, and the only source decisions are taken from. */
    public NodeKey derpPublicKey() {
        return derpPublicKey;
    }

    /** The listener's raw Ed25519 identity public key. */
    public byte[] identityPublicKey() {
        return identityPublicKey.clone();
    }

    /** The bearer secret (a copy). Prefer {@link #keys()}; the secret itself should not travel further. */
    public byte[] bearerSecret() {
        return bearerSecret.clone();
    }

    /** Key derivation for this session (HKDF over the bearer secret, salted with the session id). */
    public SessionKeyDerivation keys() {
        return new SessionKeyDerivation(bearerSecret, sessionId);
    }

    /** True when {@code bytes[offset, offset+16)} is this session id; constant time. */
    public boolean hasSessionId(final byte[] bytes, final int offset) {
        if (offset < 0 || bytes.length - offset < SESSION_ID_LENGTH) {
            return false;
        }
        return MessageDigest.isEqual(sessionId, Arrays.copyOfRange(bytes, offset, offset + SESSION_ID_LENGTH));
    }

    @Override
    public boolean equals(final Object o) {
        return o instanceof SessionToken t && t.capabilityBits == capabilityBits
            && t.expiresUnixSeconds == expiresUnixSeconds && Arrays.equals(t.sessionId, sessionId)
            && t.relay.equals(relay) && t.derpPublicKey.equals(derpPublicKey)
            && Arrays.equals(t.identityPublicKey, identityPublicKey)
            && MessageDigest.isEqual(t.bearerSecret, bearerSecret);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(sessionId);
    }

    @Override
    public String toString() {
        // The bearer secret is the session's only credential: never print it, nor the token text.
        return "SessionToken[v" + VERSION + " " + Capability.fromBits(capabilityBits)
            + " session=" + HexFormat.of().formatHex(sessionId)
            + " expires=" + expiresAt()
            + " relay=" + relay
            + " derp=" + derpPublicKey.shortString() + "]";
    }

    private static void checkNonZero(final byte[] bytes, final int length, final String what) {
        if (bytes.length != length) {
            throw new IllegalArgumentException(what + " must be " + length + " bytes, got " + bytes.length);
        }
        int or = 0;
        for (final byte b : bytes) {
            or |= b;
        }
        if (or == 0) {
            throw new IllegalArgumentException(what + " is all zero");
        }
    }
}
