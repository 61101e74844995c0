package dev.derphole.session.payload;

import java.nio.charset.StandardCharsets;

/**
 * One payload header (format version {@value PayloadHeaders#VERSION}): what the body is and what the receiver
 * needs to place it. Wire form: {@link PayloadHeaders}.
 *
 * @param kind     what the body is
 * @param name     a plain basename (no {@code /}, {@code \}, NUL, not {@code .} or {@code ..}, at most
 *                 {@value #MAX_NAME_BYTES} UTF-8 bytes); required for {@link PayloadKind#FILE} and
 *                 {@link PayloadKind#DIRECTORY_TAR}, otherwise usually empty
 * @param size     body bytes for a file, exact tar bytes for a directory, 0 when unknown or empty
 * @param verify   {@link VerifyCode} of the token the sender used, or empty when the sender made no claim
 * @param metadata directory summary, or {@code null} when absent or not understood
 */
public record PayloadHeader(PayloadKind kind, String name, long size, String verify, DirectoryMetadata metadata) {
    /** Longest name accepted, UTF-8 bytes: the common file-system limit for one path element. */
    public static final int MAX_NAME_BYTES = 255;

    /**
     * Validates every field.
     *
     * @throws IllegalArgumentException when a field is out of range (see the parameters)
     */
    public PayloadHeader {
        final String problem = problem(kind, name, size, verify);
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
    }

    /**
     * @param kind a kind whose header needs no name ({@link PayloadKind#TEXT}, the SSH kinds)
     * @return a header with only the kind set
     */
    public static PayloadHeader of(final PayloadKind kind) {
        return new PayloadHeader(kind, "", 0, "", null);
    }

    /**
     * @param name basename of the file
     * @param size file length, bytes
     * @return a {@link PayloadKind#FILE} header
     */
    public static PayloadHeader file(final String name, final long size) {
        return new PayloadHeader(PayloadKind.FILE, name, size, "", null);
    }

    /**
     * @param name     basename of the directory
     * @param tarBytes exact length of the tar stream that follows
     * @param metadata the summary shown to the receiver, or {@code null}
     * @return a {@link PayloadKind#DIRECTORY_TAR} header
     */
    public static PayloadHeader directory(final String name, final long tarBytes, final DirectoryMetadata metadata) {
        return new PayloadHeader(PayloadKind.DIRECTORY_TAR, name, tarBytes, "", metadata);
    }

    /**
     * @param code the verify code, normally {@link VerifyCode#of(String)} of the session token
     * @return this header carrying {@code code}
     */
    public PayloadHeader withVerify(final String code) {
        return new PayloadHeader(kind, name, size, code, metadata);
    }

    /** @return why these fields do not make a header, or {@code null} when they do */
    static String problem(final PayloadKind kind, final String name, final long size, final String verify) {
        if (kind == null || name == null || verify == null) {
            return "payload header needs a kind, a name and a verify code (empty, not null)";
        }
        if (name.isEmpty() && kind.requiresName()) {
            return "payload header for " + kind.wireName() + " has no name";
        }
        final String nameProblem = name.isEmpty() ? null : nameProblem(name);
        if (nameProblem != null) {
            return nameProblem;
        }
        if (size < 0) {
            return "invalid payload size " + size;
        }
        return isUnicode(verify) ? null : "verify code is not valid Unicode";
    }

    /**
     * Why {@code name} is not a safe basename, or {@code null}. A name that passes cannot leave the directory
     * it is resolved in, so a hostile sender cannot write outside {@code receive -o}.
     */
    static String nameProblem(final String name) {
        final String why;
        if (name.isEmpty()) {
            why = "is empty";
        } else if (name.equals(".") || name.equals("..")) {
            why = "is a relative directory";
        } else if (name.indexOf('/') >= 0 || name.indexOf('\\') >= 0) {
            why = "contains a path separator";
        } else if (name.indexOf('\0') >= 0) {
            why = "contains NUL";
        } else if (!isUnicode(name)) {
            why = "is not valid Unicode";
        } else if (name.length() > MAX_NAME_BYTES || name.getBytes(StandardCharsets.UTF_8).length > MAX_NAME_BYTES) {
            // The length test first: every char is at least one UTF-8 byte, and a peer's name may be 1 MiB.
            why = "is longer than " + MAX_NAME_BYTES + " UTF-8 bytes";
        } else {
            return null;
        }
        return "invalid name " + PayloadException.quote(name) + ": it " + why;
    }

    /** No unpaired surrogates: they cannot be UTF-8, so they would not survive the JSON round trip. */
    private static boolean isUnicode(final String s) {
        for (int i = 0; i < s.length(); i++) {
            final char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return false;
            }
        }
        return true;
    }
}
