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
final class NetnsLab implements AutoCloseable {
    private final String prefix;
    private final List<String> namespaces = new ArrayList<>();

    private NetnsLab(final String prefix) {
        this.prefix = prefix;
    }

    static NetnsLab create(final String label) throws IOException, InterruptedException {
        final NetnsLab lab = new NetnsLab("dh" + ProcessHandle.current().pid() + "-" + label);
        final Result probe = run("ip", "netns", "list");
        if (probe.exitCode != 0) {
            throw new IllegalStateException("network namespaces unavailable (need root and iproute2): " + probe.output);
        }
        return lab;
    }

    /** Creates (once) and returns the namespace {@code <prefix>-<name>} with loopback up. */
    String namespace(final String name) throws IOException, InterruptedException {
        final String ns = prefix + "-" + name;
        if (!namespaces.contains(ns)) {
            check(run("ip", "netns", "add", ns), "ip netns add " + ns);
            namespaces.add(ns);
            check(run("ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up"), "lo up in " + ns);
        }
        return ns;
    }

    /**
     * Joins two namespaces of this lab with a veth pair and gives each end an address (CIDR, e.g.
     * {@code 10.99.0.1/24}); both ends are up. The addresses exist only inside the namespaces.
     */
    void veth(final String nsA, final String cidrA, final String nsB, final String cidrB)
        throws IOException, InterruptedException {
        // Interface names are at most 15 characters; they live inside the namespaces, so short names never collide.
        final String a = "veth-a";
        final String b = "veth-b";
        check(run("ip", "link", "add", a, "netns", nsA, "type", "veth", "peer", "name", b, "netns", nsB),
            "veth pair " + nsA + " <-> " + nsB);
        check(exec(nsA, "ip", "addr", "add", cidrA, "dev", a), "address " + cidrA);
        check(exec(nsB, "ip", "addr", "add", cidrB, "dev", b), "address " + cidrB);
        check(exec(nsA, "ip", "link", "set", a, "up"), a + " up");
        check(exec(nsB, "ip", "link", "set", b, "up"), b + " up");
    }

    /** Runs {@code command} inside {@code ns}; fails when it fails. */
    void execChecked(final String ns, final String... command) throws IOException, InterruptedException {
        check(exec(ns, command), String.join(" ", command) + " in " + ns);
    }

    /** The command prefix that runs a process inside {@code ns}. */
    static List<String> inside(final String ns) {
        return List.of("ip", "netns", "exec", ns);
    }

    private static Result exec(final String ns, final String... command) throws IOException, InterruptedException {
        final List<String> full = new ArrayList<>(inside(ns));
        full.addAll(List.of(command));
        return run(full.toArray(String[]::new));
    }

    @Override
    public void close() throws IOException {
        try {
            for (final String ns : namespaces.reversed()) {
                run("ip", "netns", "del", ns);
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        namespaces.clear();
    }

    private static void check(final Result r, final String what) {
        if (r.exitCode != 0) {
            throw new IllegalStateException(what + " failed (" + r.exitCode + "): " + r.output);
        }
    }

    private record Result(int exitCode, String output) {
    }

    private static Result run(final String... command) throws IOException, InterruptedException {
        final Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getOutputStream().close();
        final byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return new Result(-1, "timed out: " + String.join(" ", command));
        }
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8).strip());
    }
}
