package dev.derphole.cli;

/**
 * A failure the user can act on: printed as one line on stderr ({@code error: message}, then
 * {@code hint: ...} when there is one), never with a stack trace unless {@code --verbose}.
 */
public final class UserFacingException extends RuntimeException {
    private final int exitCode;
    private final String hint;

    public UserFacingException(final int exitCode, final String message, final String hint) {
        super(message);
        this.exitCode = exitCode;
        this.hint = hint;
    }

    public UserFacingException(final int exitCode, final String message, final String hint, final Throwable cause) {
        super(message, cause);
        this.exitCode = exitCode;
        this.hint = hint;
    }

    public static UserFacingException runtime(final String message) {
        return new UserFacingException(ExitCode.RUNTIME, message, null);
    }

    public static UserFacingException usage(final String message) {
        return new UserFacingException(ExitCode.USAGE, message, null);
    }

    public int exitCode() {
        return exitCode;
    }

    public String hint() {
        return hint;
    }
}
