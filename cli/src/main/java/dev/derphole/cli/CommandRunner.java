package dev.derphole.cli;

import java.io.PrintWriter;

import picocli.CommandLine;

/**
 * Runs a picocli command tree with our exit-code and error conventions: usage errors exit 2 with the
 * message and a pointer to {@code --help}; {@link UserFacingException}s print one line (plus a hint) and
 * exit with their code; anything else is a bug, printed as one line, with a stack trace only under
 * {@code --verbose}.
 */
final class CommandRunner {
    private CommandRunner() {
    }

    static int run(final CommandLine commandLine, final Terminal terminal, final String[] args) {
        return configure(commandLine, terminal).execute(args);
    }

    /**
     * Parses {@code args} as {@link #run} would, without running or printing anything: the parse result, or null
     * when picocli rejects them (then {@link #run} on the same arguments reports the error).
     */
    static CommandLine.ParseResult parseQuietly(final CommandLine commandLine, final Terminal terminal,
        final String[] args) {
        try {
            return configure(commandLine, terminal).parseArgs(args);
        } catch (final CommandLine.PicocliException e) {
            return null;
        }
    }

    private static CommandLine configure(final CommandLine commandLine, final Terminal terminal) {
        final String tool = commandLine.getCommandName();
        commandLine.setOut(new PrintWriter(terminal.out(), true));
        commandLine.setErr(new PrintWriter(terminal.err(), true));
        commandLine.setCaseInsensitiveEnumValuesAllowed(true);
        commandLine.setParameterExceptionHandler((ex, argv) -> {
            terminal.err().println("error: " + ex.getMessage());
            terminal.err().println("Run '" + tool + " --help' for usage.");
            return ExitCode.USAGE;
        });
        commandLine.setExecutionExceptionHandler((ex, cl, parseResult) -> report(ex, terminal));
        return commandLine;
    }

    static int report(final Throwable failure, final Terminal terminal) {
        if (failure instanceof UserFacingException user) {
            terminal.err().println("error: " + user.getMessage());
            if (user.hint() != null) {
                terminal.err().println("hint: " + user.hint());
            }
            // A user error is not a bug: -v names the causes, never a stack trace.
            for (Throwable cause = user.getCause(); terminal.verbose() && cause != null && cause != cause.getCause();
                cause = cause.getCause()) {
                terminal.err().println("cause: " + describe(cause));
            }
            return user.exitCode();
        }
        terminal.err().println("error: " + describe(failure));
        if (terminal.verbose()) {
            failure.printStackTrace(terminal.err());
        }
        return ExitCode.RUNTIME;
    }

    private static String describe(final Throwable failure) {
        final String message = failure.getMessage();
        return message == null || message.isBlank() ? failure.getClass().getSimpleName() : message;
    }
}
