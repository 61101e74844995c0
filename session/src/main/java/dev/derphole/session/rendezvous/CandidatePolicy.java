package dev.derphole.session.rendezvous;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Which peer-supplied direct-path candidates we accept (upstream {@code pkg/candidate}; red-team class 9:
 * candidate injection). A candidate is an {@code ip:port} string in canonical form: IPv4 dotted quad without
 * leading zeros, IPv6 in brackets in RFC 5952 form (lowercase, no leading zeros, the longest run of two or
 * more zero groups as {@code ::}, the first on a tie). It must re-serialise to exactly itself, so no two
 * spellings of one address exist and duplicates are caught by string equality.
 * <p>
 * Refused: more than {@value #MAX_CANDIDATES} entries, entries over {@value #MAX_CANDIDATE_LENGTH}
 * characters, port 0, zones ({@code %eth0}), the unspecified address, multicast, IPv4 limited broadcast,
 * IPv6 link-local (unusable without the zone we refuse), IPv4-mapped IPv6 (write it as IPv4), duplicates,
 * and loopback unless the policy allows it (tests on one machine).
 * <p>
 * Parsing never resolves names: only literal addresses parse at all. Immutable; thread-safe.
 */
public final class CandidatePolicy {
    /** Most candidates one message may carry. */
    public static final int MAX_CANDIDATES = 32;
    /** Longest candidate string; the longest canonical one ({@code [ffff:...:ffff]:65535}) has 47. */
    public static final int MAX_CANDIDATE_LENGTH = 64;

    /** Production policy: no loopback candidates. */
    public static final CandidatePolicy STRICT = new CandidatePolicy(false);
    /** Policy for tests and single-machine setups: loopback candidates allowed. */
    public static final CandidatePolicy ALLOW_LOOPBACK = new CandidatePolicy(true);

    /** Why a candidate was refused, or {@link #OK}. */
    public enum Verdict {
        OK("ok"),
        TOO_MANY("too many candidates"),
        TOO_LONG("too long"),
        NOT_ADDRESS("not an ip:port"),
        NOT_CANONICAL("not in canonical form"),
        ZONE("has a zone"),
        PORT_ZERO("port 0"),
        UNSPECIFIED("unspecified address"),
        MULTICAST("multicast address"),
        BROADCAST("broadcast address"),
        LOOPBACK("loopback address"),
        LINK_LOCAL("IPv6 link-local address"),
        DUPLICATE("duplicate");

        private final String text;

        Verdict(final String text) {
            this.text = text;
        }

        /** Short ASCII description for reject reasons. */
        public String text() {
            return text;
        }
    }

    private final boolean allowLoopback;

    private CandidatePolicy(final boolean allowLoopback) {
        this.allowLoopback = allowLoopback;
    }

    public boolean allowsLoopback() {
        return allowLoopback;
    }

    /** The verdict on one candidate. */
    public Verdict check(final String candidate) {
        if (candidate.length() > MAX_CANDIDATE_LENGTH) {
            return Verdict.TOO_LONG;
        }
        if (candidate.indexOf('%') >= 0) {
            return Verdict.ZONE;
        }
        final Parsed parsed = parse(candidate);
        if (parsed == null) {
            return Verdict.NOT_ADDRESS;
        }
        if (!format(parsed.address, parsed.port).equals(candidate) || isIpv4Mapped(parsed.address)) {
            return Verdict.NOT_CANONICAL;
        }
        if (parsed.port == 0) {
            return Verdict.PORT_ZERO;
        }
        return parsed.address.length == 4 ? checkIpv4(parsed.address) : checkIpv6(parsed.address);
    }

    /**
     * The first problem in a candidate list as a short ASCII reason ({@code candidate 3: loopback address}),
     * or empty when every entry is acceptable. The reason never echoes the candidate text.
     */
    public Optional<String> checkList(final List<String> candidates) {
        if (candidates.size() > MAX_CANDIDATES) {
            return Optional.of(Verdict.TOO_MANY.text() + " (" + candidates.size() + " > " + MAX_CANDIDATES + ")");
        }
        final Set<String> seen = new HashSet<>();
        for (int i = 0; i < candidates.size(); i++) {
            final String candidate = candidates.get(i);
            Verdict verdict = check(candidate);
            if (verdict == Verdict.OK && !seen.add(candidate)) {
                verdict = Verdict.DUPLICATE;
            }
            if (verdict != Verdict.OK) {
                return Optional.of("candidate " + (i + 1) + ": " + verdict.text());
            }
        }
        return Optional.empty();
    }

    /** The socket address of a candidate this policy accepts; resolves nothing. */
    public InetSocketAddress toSocketAddress(final String candidate) {
        final Verdict verdict = check(candidate);
        if (verdict != Verdict.OK) {
            throw new IllegalArgumentException("candidate refused: " + verdict.text());
        }
        final Parsed parsed = parse(candidate);
        try {
            return new InetSocketAddress(InetAddress.getByAddress(parsed.address), parsed.port);
        } catch (final UnknownHostException e) {
            throw new IllegalStateException("4 or 16 address bytes are always accepted", e);
        }
    }

    /** The canonical candidate string for an address and port (IPv4-mapped IPv6 is written as IPv4). */
    public static String canonical(final InetAddress address, final int port) {
        if (port < 0 || port > 0xffff) {
            throw new IllegalArgumentException("port out of range: " + port);
        }
        byte[] bytes = address.getAddress();
        if (isIpv4Mapped(bytes)) {
            bytes = java.util.Arrays.copyOfRange(bytes, 12, 16);
        }
        return format(bytes, port);
    }

    private Verdict checkIpv4(final byte[] a) {
        final int first = a[0] & 0xff;
        if ((a[0] | a[1] | a[2] | a[3]) == 0) {
            return Verdict.UNSPECIFIED;
        }
        if (first >= 224 && first <= 239) {
            return Verdict.MULTICAST;
        }
        if ((a[0] & a[1] & a[2] & a[3]) == (byte)0xff) {
            return Verdict.BROADCAST;
        }
        if (first == 127 && !allowLoopback) {
            return Verdict.LOOPBACK;
        }
        return Verdict.OK;
    }

    private Verdict checkIpv6(final byte[] a) {
        int or = 0;
        for (int i = 0; i < 15; i++) {
            or |= a[i];
        }
        if (or == 0 && a[15] == 0) {
            return Verdict.UNSPECIFIED;
        }
        if ((a[0] & 0xff) == 0xff) {
            return Verdict.MULTICAST;
        }
        if ((a[0] & 0xff) == 0xfe && (a[1] & 0xc0) == 0x80) {
            return Verdict.LINK_LOCAL;
        }
        if (or == 0 && a[15] == 1 && !allowLoopback) {
            return Verdict.LOOPBACK;
        }
        return Verdict.OK;
    }

    private static boolean isIpv4Mapped(final byte[] a) {
        if (a.length != 16 || a[10] != (byte)0xff || a[11] != (byte)0xff) {
            return false;
        }
        for (int i = 0; i < 10; i++) {
            if (a[i] != 0) {
                return false;
            }
        }
        return true;
    }

    /** Address bytes (4 or 16) and port. */
    private record Parsed(byte[] address, int port) {
    }

    /** Lenient literal parse (leading zeros allowed); canonical form is enforced by re-formatting. */
    private static Parsed parse(final String s) {
        final byte[] address;
        final int portStart;
        if (s.startsWith("[")) {
            final int close = s.indexOf("]:");
            if (close < 0) {
                return null;
            }
            address = parseIpv6(s.substring(1, close));
            portStart = close + 2;
        } else {
            final int colon = s.indexOf(':');
            if (colon < 0 || colon != s.lastIndexOf(':')) {
                return null;
            }
            address = parseIpv4(s.substring(0, colon));
            portStart = colon + 1;
        }
        final int port = parseDecimal(s, portStart, s.length(), 5, 0xffff);
        return address == null || port < 0 ? null : new Parsed(address, port);
    }

    private static byte[] parseIpv4(final String s) {
        final byte[] out = new byte[4];
        int start = 0;
        for (int i = 0; i < 4; i++) {
            final int dot = i < 3 ? s.indexOf('.', start) : s.length();
            if (dot < 0) {
                return null;
            }
            final int value = parseDecimal(s, start, dot, 3, 255);
            if (value < 0) {
                return null;
            }
            out[i] = (byte)value;
            start = dot + 1;
        }
        return out;
    }

    private static byte[] parseIpv6(final String s) {
        final int gap = s.indexOf("::");
        if (gap >= 0 && s.indexOf("::", gap + 1) >= 0) {
            return null;
        }
        final int[] head = gap < 0 ? groups(s) : groups(s.substring(0, gap));
        final int[] tail = gap < 0 ? new int[0] : groups(s.substring(gap + 2));
        if (head == null || tail == null) {
            return null;
        }
        final int total = head.length + tail.length;
        if (gap < 0 ? total != 8 : total > 7) {
            return null;
        }
        final byte[] out = new byte[16];
        for (int i = 0; i < head.length; i++) {
            out[2 * i] = (byte)(head[i] >>> 8);
            out[2 * i + 1] = (byte)head[i];
        }
        for (int i = 0; i < tail.length; i++) {
            final int at = 16 - 2 * (tail.length - i);
            out[at] = (byte)(tail[i] >>> 8);
            out[at + 1] = (byte)tail[i];
        }
        return out;
    }

    /** Colon-separated groups of 1..4 hex digits; empty input is zero groups; null when malformed. */
    private static int[] groups(final String s) {
        if (s.isEmpty()) {
            return new int[0];
        }
        final String[] parts = s.split(":", -1);
        if (parts.length > 8) {
            return null;
        }
        final int[] out = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            final String p = parts[i];
            if (p.isEmpty() || p.length() > 4) {
                return null;
            }
            int value = 0;
            for (int c = 0; c < p.length(); c++) {
                final int digit = Character.digit(p.charAt(c), 16);
                if (digit < 0 || p.charAt(c) > 'f') {
                    return null;
                }
                value = value << 4 | digit;
            }
            out[i] = value;
        }
        return out;
    }

    /** ASCII decimal in {@code s[from, to)}, 1..maxDigits digits, at most {@code max}; -1 when not. */
    private static int parseDecimal(final String s, final int from, final int to, final int maxDigits, final int max) {
        if (to <= from || to - from > maxDigits) {
            return -1;
        }
        int value = 0;
        for (int i = from; i < to; i++) {
            final char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            value = value * 10 + (c - '0');
        }
        return value <= max ? value : -1;
    }

    private static String format(final byte[] a, final int port) {
        final StringBuilder sb = new StringBuilder(48);
        if (a.length == 4) {
            sb.append(a[0] & 0xff).append('.').append(a[1] & 0xff).append('.').append(a[2] & 0xff).append('.')
                .append(a[3] & 0xff);
        } else {
            // RFC 5952 §4.2: compress the longest run (at least two) of zero groups, the first one on a tie.
            int bestStart = -1;
            int bestLength = 1;
            for (int i = 0; i < 8; ) {
                if (group(a, i) != 0) {
                    i++;
                    continue;
                }
                int j = i;
                while (j < 8 && group(a, j) == 0) {
                    j++;
                }
                if (j - i > bestLength) {
                    bestStart = i;
                    bestLength = j - i;
                }
                i = j;
            }
            sb.append('[');
            for (int i = 0; i < 8; i++) {
                if (i == bestStart) {
                    sb.append("::");
                    i += bestLength - 1;
                    continue;
                }
                if (i > 0 && i != bestStart + bestLength) {
                    sb.append(':');
                }
                sb.append(Integer.toHexString(group(a, i)));
            }
            sb.append(']');
        }
        return sb.append(':').append(port).toString();
    }

    private static int group(final byte[] a, final int i) {
        return (a[2 * i] & 0xff) << 8 | (a[2 * i + 1] & 0xff);
    }
}
