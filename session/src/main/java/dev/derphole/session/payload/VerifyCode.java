package dev.derphole.session.payload;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The short code both sides show and the sender puts in the header's {@code verify} field, so a receiver
 * holding another token notices before it writes anything: upper-case hex of the first 6 bytes of
 * SHA-256({@code "derphole-verify:" + token}), grouped {@code XXXX-XXXX-XXXX} (upstream
 * {@code VerificationString}). It proves nothing to an attacker; the token's secret does that.
 */
public final class VerifyCode {
    private static final String DOMAIN = "derphole-verify:";
    private static final int DIGEST_PREFIX_BYTES = 6;
    private static final int GROUP_CHARS = 4;

    private VerifyCode() {
    }

    /**
     * @param tokenText the token exactly as the sender printed it
     * @return its code, {@code XXXX-XXXX-XXXX}
     */
    public static String of(final String tokenText) {
        final byte[] digest = sha256().digest((DOMAIN + tokenText).getBytes(StandardCharsets.UTF_8));
        final String hex = HexFormat.of().withUpperCase().formatHex(digest, 0, DIGEST_PREFIX_BYTES);
        return hex.substring(0, GROUP_CHARS) + '-' + hex.substring(GROUP_CHARS, 2 * GROUP_CHARS) + '-'
            + hex.substring(2 * GROUP_CHARS);
    }

    /**
     * Checks the header's code against the receiver's token. A header without a code passes, as upstream: the
     * sender made no claim (upstream's SSH headers never carry one).
     *
     * @param header    the header read from the stream
     * @param tokenText the token the receiver used
     * @throws PayloadException {@code verification mismatch: ...} when the header carries another code
     */
    public static void check(final PayloadHeader header, final String tokenText) throws PayloadException {
        final String claimed = header.verify();
        final String want = of(tokenText);
        if (!claimed.isEmpty() && !claimed.equals(want)) {
            throw new PayloadException("verification mismatch: got " + PayloadException.quote(claimed) + ", want "
                + PayloadException.quote(want));
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (final NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
