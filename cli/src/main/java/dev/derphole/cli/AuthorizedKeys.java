package dev.derphole.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;

import dev.derphole.session.payload.PayloadException;
import dev.derphole.session.payload.SshPublicKey;

/**
 * A user's {@code ~/.ssh/authorized_keys}, as {@code ssh invite} adds one key to it: the directory made 0700 and
 * the file 0600 when missing (owned by that user when another user's file is written, as sshd's StrictModes
 * wants), a key already there not added twice.
 */
final class AuthorizedKeys {
    private final Path file;
    private final UserPrincipal owner;

    private AuthorizedKeys(final Path file, final UserPrincipal owner) {
        this.file = file;
        this.owner = owner;
    }

    /**
     * @param user   the account whose file it is ({@code --user}), or null for ours
     * @param ownHome our home directory ({@link #home})
     * @throws UserFacingException when the account is unknown
     */
    static AuthorizedKeys of(final String user, final Path passwd, final Path ownHome) {
        if (user == null) {
            return new AuthorizedKeys(ownHome.resolve(".ssh").resolve("authorized_keys"), null);
        }
        final Path home = homeOf(user, passwd);
        try {
            final UserPrincipal owner = home.getFileSystem().getUserPrincipalLookupService()
                .lookupPrincipalByName(user);
            return new AuthorizedKeys(home.resolve(".ssh").resolve("authorized_keys"), owner);
        } catch (final IOException e) {
            throw UserFacingException.usage("no such user: " + user);
        }
    }

    /** Our home: {@code $HOME} as the shell has it, else the JVM's {@code user.home} (the password database's). */
    static Path home(final Terminal terminal) {
        final String home = terminal.env().get("HOME");
        return Path.of(home != null && !home.isBlank() ? home : System.getProperty("user.home"));
    }

    /** The home directory of {@code user} in an {@code /etc/passwd}-format file. */
    private static Path homeOf(final String user, final Path passwd) {
        try {
            for (final String line : Files.readAllLines(passwd, StandardCharsets.UTF_8)) {
                final String[] fields = line.split(":", -1);
                if (fields.length >= 7 && fields[0].equals(user) && !fields[5].isEmpty()) {
                    return Path.of(fields[5]);
                }
            }
        } catch (final IOException e) {
            throw UserFacingException.runtime("cannot read " + passwd + " to find " + user + "'s home: "
                + e.getMessage());
        }
        throw UserFacingException.usage("no such user: " + user);
    }

    Path path() {
        return file;
    }

    /**
     * Appends {@code key} unless the same key is there already.
     *
     * @return true when it was added
     */
    boolean add(final SshPublicKey key) throws IOException {
        final Path dir = file.getParent();
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(
                "rwx------")));
            own(dir);
        }
        String existing = "";
        if (Files.exists(file)) {
            existing = Files.readString(file, StandardCharsets.UTF_8);
            for (final String line : existing.lines().toList()) {
                if (same(line, key)) {
                    return false;
                }
            }
        } else {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            own(file);
        }
        final String separator = existing.isEmpty() || existing.endsWith("\n") ? "" : "\n";
        Files.writeString(file, separator + key.line() + "\n", StandardCharsets.UTF_8, StandardOpenOption.APPEND);
        return true;
    }

    private static boolean same(final String line, final SshPublicKey key) {
        try {
            return SshPublicKey.parse(line).sameKey(key);
        } catch (final PayloadException e) {
            return false; // options, comments, other formats: not ours to judge
        }
    }

    private void own(final Path path) throws IOException {
        if (owner != null) {
            Files.setOwner(path, owner);
        }
    }

    /** For messages. */
    @Override
    public String toString() {
        return file.toString();
    }
}
