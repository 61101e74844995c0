package dev.derphole.testing;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.SplittableRandom;

/** OpenSSH public key lines for tests of {@code ssh invite} / {@code ssh accept}: well-formed, seeded, never real. */
public final class SshKeys {
    private SshKeys() {
    }

    /** {@code ssh-ed25519 BASE64 [comment]} whose blob is the type name and 32 seeded key bytes, as OpenSSH's. */
    public static String ed25519(final long seed, final String comment) {
        final ByteArrayOutputStream blob = new ByteArrayOutputStream();
        final byte[] type = "ssh-ed25519".getBytes(StandardCharsets.US_ASCII);
        blob.writeBytes(ByteBuffer.allocate(4).putInt(type.length).array());
        blob.writeBytes(type);
        final byte[] key = new byte[32];
        new SplittableRandom(seed).nextBytes(key);
        blob.writeBytes(ByteBuffer.allocate(4).putInt(key.length).array());
        blob.writeBytes(key);
        final String line = "ssh-ed25519 " + Base64.getEncoder().encodeToString(blob.toByteArray());
        return comment.isEmpty() ? line : line + " " + comment;
    }
}
