package dev.derphole.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Network namespaces a system test creates for itself and always removes: each starts with only a loopback
 * interface (up), so nothing it does can reach another address. Needs root and iproute2 (CI runs as root;
 * {@code bin/test} installs iproute2 when missing). Names carry the JVM pid so parallel runs never collide.
 */
final class NetnsLab implements AutoCloseable
{
    private final String prefix;
    private final List<String> namespaces = new ArrayList<>();

    private NetnsLab(final String prefix)
    {
        this.prefix = prefix;
    }

    static NetnsLab create(final String label) throws IOException, InterruptedException
    {
        final NetnsLab lab = new NetnsLab("dh" + ProcessHandle.current().pid() + "-" + label);
        final Result probe = run("ip", "netns", "list");
        if (probe.exitCode != 0)
        {
            throw new IllegalStateException("network namespaces unavailable (need root and iproute2): " + probe.output);
        }
        return lab;
    }

    /** Creates (once) and returns the namespace {@code <prefix>-<name>} with loopback up. */
    String namespace(final String name) throws IOException, InterruptedException
    {
        final String ns = prefix + "-" + name;
        if (!namespaces.contains(ns))
        {
            check(run("ip", "netns", "add", ns), "ip netns add " + ns);
            namespaces.add(ns);
            check(run("ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up"), "lo up in " + ns);
        }
        return ns;
    }

    @Override
    public void close() throws IOException
    {
        try
        {
            for (final String ns : namespaces.reversed())
            {
                run("ip", "netns", "del", ns);
            }
        }
        catch (final InterruptedException e)
        {
            Thread.currentThread().interrupt();
        }
        namespaces.clear();
    }

    private static void check(final Result r, final String what)
    {
        if (r.exitCode != 0)
        {
            throw new IllegalStateException(what + " failed (" + r.exitCode + "): " + r.output);
        }
    }

    private record Result(int exitCode, String output)
    {
    }

    private static Result run(final String... command) throws IOException, InterruptedException
    {
        final Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getOutputStream().close();
        final byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(30, TimeUnit.SECONDS))
        {
            p.destroyForcibly();
            return new Result(-1, "timed out: " + String.join(" ", command));
        }
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8).strip());
    }
}
