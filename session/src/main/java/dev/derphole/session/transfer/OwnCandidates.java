package dev.derphole.session.transfer;

import java.util.ArrayList;
import java.util.List;

import dev.derphole.session.rendezvous.CandidatePolicy;

/**
 * This side's direct-path candidates as they are learned: the interfaces' addresses first (known at once), the
 * address a STUN server saw (unless the NAT maps each destination to a new port, when that address is useless
 * to the peer), and a port mapping from the home router. The list is rebuilt on every change, best first
 * (mapping, reflexive, local), at most {@link CandidatePolicy#MAX_CANDIDATES}, each valid under the policy.
 * <p>
 * Thread-safe (synchronized): discovery threads write, the session reads.
 */
final class OwnCandidates {
    /** What the STUN answers showed about the NAT's mapping. */
    enum Mapping {
        /** Fewer than two STUN answers: unknown. */
        UNKNOWN("unknown"),
        /** Two STUN servers saw the same address: endpoint-independent (an easy NAT, or none). */
        INDEPENDENT("independent"),
        /** Two STUN servers saw different ports: endpoint-dependent ("symmetric", a hard NAT). */
        VARIES("varies");

        private final String text;

        Mapping(final String text) {
            this.text = text;
        }

        String text() {
            return text;
        }
    }

    private final CandidatePolicy policy;
    private List<String> local = List.of();
    private String reflexive;
    private String mapped;
    private Mapping mapping = Mapping.UNKNOWN;
    private List<String> current = List.of();

    OwnCandidates(final CandidatePolicy policy) {
        this.policy = policy;
    }

    synchronized List<String> list() {
        return current;
    }

    synchronized Mapping mapping() {
        return mapping;
    }

    /** @return true when the list changed */
    synchronized boolean local(final List<String> candidates) {
        local = List.copyOf(candidates);
        return rebuild();
    }

    /** The first STUN answer ({@code ip:port} as the server saw our socket); @return true when the list changed. */
    synchronized boolean reflexive(final String candidate) {
        reflexive = candidate;
        return rebuild();
    }

    /** The second STUN server's answer decides the mapping; @return true when the list changed. */
    synchronized boolean mapping(final Mapping seen) {
        mapping = seen;
        return rebuild();
    }

    /** The home router's port mapping, or null when there is none (any more); @return true when the list changed. */
    synchronized boolean mapped(final String candidate) {
        mapped = candidate;
        return rebuild();
    }

    private boolean rebuild() {
        final List<String> next = new ArrayList<>();
        add(next, mapped);
        if (mapping != Mapping.VARIES) {
            add(next, reflexive);
        }
        for (final String c : local) {
            add(next, c);
        }
        if (next.equals(current)) {
            return false;
        }
        current = List.copyOf(next);
        return true;
    }

    private void add(final List<String> out, final String candidate) {
        if (candidate != null && !out.contains(candidate) && out.size() < CandidatePolicy.MAX_CANDIDATES
            && policy.check(candidate) == CandidatePolicy.Verdict.OK) {
            out.add(candidate);
        }
    }
}
