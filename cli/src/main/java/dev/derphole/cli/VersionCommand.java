package dev.derphole.cli;

import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/** {@code version}: prints the version to stdout. */
@Command(name = "version", description = "Print the version.")
final class VersionCommand implements Callable<Integer>
{
    @ParentCommand
    Object parent;

    private final Terminal terminal;

    VersionCommand(final Terminal terminal)
    {
        this.terminal = terminal;
    }

    @Override
    public Integer call()
    {
        terminal.out().println(Version.current());
        return ExitCode.OK;
    }
}
