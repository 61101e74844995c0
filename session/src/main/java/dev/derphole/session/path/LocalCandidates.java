package dev.derphole.session.path;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;

import dev.derphole.session.rendezvous.CandidatePolicy;

/**
 * This machine's direct-path candidates: {@code ip:port} for every IPv4 address of every interface that is up,
 * except loopback, link-local and wildcard addresses; with a policy that allows loopback (tests and benchmarks on
 * one machine), loopback addresses only. IPv4 only because the endpoint's socket is IPv4. Stateless.
 */
public final class LocalCandidates {
    private LocalCandidates() {
    }

    /** Candidates for {@code port}, at most {@link CandidatePolicy#MAX_CANDIDATES}, each valid under {@code policy}. */
    public static List<String> gather(final int port, final CandidatePolicy policy) {
        final List<String> out = new ArrayList<>();
        final Enumeration<NetworkInterface> interfaces;
        try {
            interfaces = NetworkInterface.getNetworkInterfaces();
        } catch (final SocketException e) {
            return out;
        }
        if (interfaces == null) {
            return out;
        }
        for (final NetworkInterface nic : java.util.Collections.list(interfaces)) {
            try {
                if (!nic.isUp()) {
                    continue;
                }
            } catch (final SocketException e) {
                continue;
            }
            for (final InetAddress address : java.util.Collections.list(nic.getInetAddresses())) {
                // With loopback allowed (tests and benchmarks on one machine) only loopback is offered: the
                // machine's other addresses would send test traffic out to its own external interface.
                if (!(address instanceof Inet4Address) || address.isLinkLocalAddress() || address.isAnyLocalAddress()
                    || address.isLoopbackAddress() != policy.allowsLoopback()) {
                    continue;
                }
                final String candidate = CandidatePolicy.canonical(address, port);
                if (out.size() < CandidatePolicy.MAX_CANDIDATES && !out.contains(candidate)
                    && policy.check(candidate) == CandidatePolicy.Verdict.OK) {
                    out.add(candidate);
                }
            }
        }
        return out;
    }
}
