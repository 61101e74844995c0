package dev.derphole.session.payload;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.Set;

/**
 * One OpenSSH public key line ({@code TYPE BASE64 [COMMENT]}), as {@code ssh accept} sends it and {@code ssh invite}
 * appends it to {@code authorized_keys}. Stricter than upstream, which appended the peer's text verbatim: a line
 * that is not exactly one key of a known type (no options such as {@code command="..."}, no second line, a blob
 * whose own type name matches) is refused, since {@code authorized_keys} is a security boundary.
 * A class, not a record: a record's equality would compare the key bytes' array by identity; {@link #sameKey}
 * compares keys.
 */
public final class SshPublicKey {
    /** Longest key line accepted, in bytes: an RSA 16384-bit key is ~2.8 KB. */
    public static final int MAX_LINE_BYTES = 8 * 1024;

    private static final Set<String> TYPES = Set.of("ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256",
        "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "sk-ssh-ed25519@openssh.com",
        "sk-ecdsa-sha2-nistp256@openssh.com");

    private final String type;
    private final byte[] blob;
    private final String comment;

    private SshPublicKey(final String type, final byte[] blob, final String comment) {
        this.type = type;
        this.blob = blob;
        this.comment = comment;
    }

    /**
     * Parses one key line (surrounding whitespace and one trailing newline allowed).
     *
     * @throws PayloadException when it is not one public key of a known type
     */
    public static SshPublicKey parse(final String text) throws PayloadException {
        final String line = text.strip();
        if (line.getBytes(StandardCharsets.UTF_8).length > MAX_LINE_BYTES) {
            throw new PayloadException("SSH public key longer than " + MAX_LINE_BYTES + " bytes");
        }
        for (int i = 0; i < line.length(); i++) {
            final char c = line.charAt(i);
            if (c < 0x20 && c != '\t' || c == 0x7f) {
                throw new PayloadException("SSH public key must be one line of printable text");
            }
        }
        final String[] parts = line.split("[ \t]+", 3);
        if (parts.length < 2 || !TYPES.contains(parts[0])) {
            throw new PayloadException("not an SSH public key (expected e.g. ssh-ed25519 AAAA... user@host)");
        }
        final byte[] blob;
        try {
            blob = Base64.getDecoder().decode(parts[1]);
        } catch (final IllegalArgumentException e) {
            throw new PayloadException("SSH public key is not valid base64");
        }
        if (!parts[0].equals(blobType(blob))) {
            throw new PayloadException("SSH public key's data is not a " + parts[0] + " key");
        }
        return new SshPublicKey(parts[0], blob, parts.length == 3 ? parts[2] : "");
    }

    /** The type name at the start of a key blob (uint32 length, then that many bytes), or null. */
    private static String blobType(final byte[] blob) {
        if (blob.length < 4) {
            return null;
        }
        final int length = ByteBuffer.wrap(blob).getInt();
        if (length <= 0 || length > blob.length - 4 || length > 64) {
            return null;
        }
        return new String(blob, 4, length, StandardCharsets.US_ASCII);
    }

    /** The key type, e.g. {@code ssh-ed25519}. */
    public String type() {
        return type;
    }

    /** The comment after the key, or empty. */
    public String comment() {
        return comment;
    }

    /** The line for {@code authorized_keys}, without a newline. */
    public String line() {
        final String key = type + " " + Base64.getEncoder().encodeToString(blob);
        return comment.isEmpty() ? key : key + " " + comment;
    }

    /** {@code SHA256:...} as {@code ssh-keygen -l} prints it. */
    public String fingerprint() {
        try {
            final byte[] digest = MessageDigest.getInstance("SHA-256").digest(blob);
            return "SHA256:" + Base64.getEncoder().withoutPadding().encodeToString(digest);
        } catch (final NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JDK", e);
        }
    }

    /** How a prompt names the key: its comment, else its fingerprint. */
    public String keyId() {
        return comment.isEmpty() ? fingerprint() : comment;
    }

    /** The same key (type and blob), whatever the comment. */
    public boolean sameKey(final SshPublicKey other) {
        return type.equals(other.type) && java.util.Arrays.equals(blob, other.blob);
    }
}
