package dev.derphole.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

import picocli.CommandLine.Option;

/**
 * Where a command reads its token: the positional argument, {@code --token-file F} or {@code --token-stdin}
 * (the first line of stdin; the rest of stdin stays payload). Exactly one. Files and stdin keep secrets out
 * of argv and process listings.
 */
final class TokenSource {
    /** Longest token line we read from stdin or a file; real tokens are a few hundred characters. */
    private static final int MAX_TOKEN_LENGTH = 16 * 1024;

    @Option(names = "--token-file", paramLabel = "FILE", description = "Read the token from FILE.")
    Path tokenFile;

    @Option(names = "--token-stdin", description = "Read the token from the first line of stdin.")
    boolean tokenStdin;

    /**
     * @param positional the token argument, or null
     * @param stdin      the process's stdin; with {@code --token-stdin} exactly one line is consumed
     */
    String read(final String positional, final InputStream stdin) {
        final int given = (positional != null ? 1 : 0) + (tokenFile != null ? 1 : 0) + (tokenStdin ? 1 : 0);
        if (given == 0) {
            throw UserFacingException.usage("no token: give the one the listener printed as an argument, "
                + "--token-file FILE or --token-stdin");
        }
        if (given != 1) {
            throw UserFacingException.usage("give the token exactly one way: as an argument, --token-file FILE "
                + "or --token-stdin");
        }
        if (positional != null) {
            return positional.strip();
        }
        if (tokenFile != null) {
            return fromFile();
        }
        return firstLine(stdin);
    }

    private String fromFile() {
        try {
            if (Files.size(tokenFile) > MAX_TOKEN_LENGTH) {
                throw UserFacingException.usage("--token-file " + tokenFile + " is too large to be a token");
            }
            final String text = Files.readString(tokenFile, StandardCharsets.UTF_8).strip();
            if (text.isEmpty()) {
                throw UserFacingException.usage("--token-file " + tokenFile + " is empty");
            }
            return text;
        } catch (final NoSuchFileException e) {
            throw UserFacingException.usage("--token-file " + tokenFile + ": no such file");
        } catch (final IOException e) {
            throw UserFacingException.usage("--token-file " + tokenFile + ": " + e.getMessage());
        }
    }

    /** Reads byte by byte up to the newline, so nothing of the payload after it is consumed. */
    private static String firstLine(final InputStream stdin) {
        final ByteArrayOutputStream line = new ByteArrayOutputStream();
        try {
            int b;
            while ((b = stdin.read()) >= 0 && b != '\n') {
                if (line.size() >= MAX_TOKEN_LENGTH) {
                    throw UserFacingException.usage("--token-stdin: the first line is too long to be a token");
                }
                line.write(b);
            }
        } catch (final IOException e) {
            throw UserFacingException.usage("--token-stdin: cannot read stdin: " + e.getMessage());
        }
        final String text = line.toString(StandardCharsets.UTF_8).strip();
        if (text.isEmpty()) {
            throw UserFacingException.usage("--token-stdin: no token on the first line of stdin");
        }
        return text;
    }
}
