package dev.derphole.derp.server;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

import dev.derphole.derp.proto.DerpProtocol;
import dev.derphole.derp.proto.NodeKey;

/**
 * The relay's HTTP routes, as derper serves them (tailscale {@code derp/derpserver/handler.go},
 * {@code cmd/derper/derper.go}):
 * <ul>
 * <li>{@code /derp} with {@code Upgrade: DERP} (any case) → DERP; {@code Derp-Fast-Start: 1} suppresses the 101.
 *     Without that upgrade → 426 "DERP requires connection upgrade". WebSocket upgrades are not supported (426).</li>
 * <li>{@code /derp/probe}, {@code /derp/latency-check}: GET/HEAD → 200 empty with
 *     {@code Access-Control-Allow-Origin: *}; other methods → 405.</li>
 * <li>{@code /generate_204} → 204; echoes {@code X-Tailscale-Challenge} as {@code X-Tailscale-Response:
 *     response <challenge>} when it is at most 64 characters of {@code [A-Za-z0-9._:-]}.</li>
 * <li>{@code /} → 200 small HTML page; {@code /robots.txt} → disallow all; anything else → 404 (derper's mux
 *     sends every unknown path to its home page; we prefer an honest 404).</li>
 * </ul>
 * Every plain response carries {@code Connection: close}; the connection is closed after it. Stateless.
 */
final class HttpFrontDoor {
    static final String PROBE_PATH = "/derp/probe";
    static final String LATENCY_CHECK_PATH = "/derp/latency-check";
    static final String GENERATE_204_PATH = "/generate_204";
    static final String FAST_START_HEADER = "Derp-Fast-Start";
    static final String CHALLENGE_HEADER = "X-Tailscale-Challenge";
    static final String RESPONSE_HEADER = "X-Tailscale-Response";
    /** Longest challenge echoed ({@code ServeNoContent}). */
    static final int MAX_CHALLENGE_LENGTH = 64;

    private static final String HOME_PAGE = "<html><body>\n<h1>DERP</h1>\n<p>\n"
        + "  This is a DERP relay (derphole): it relays end-to-end encrypted packets between peers\n"
        + "  and speaks Tailscale's DERP protocol.\n</p>\n</body>\n</html>\n";

    /** What the caller does after {@link #serve}. */
    enum Outcome {
        /** A plain response was written; close the connection. */
        RESPONDED,
        /** Upgrade to DERP: write the 101 response, then frames. */
        UPGRADE,
        /** Upgrade to DERP without a 101 response (fast start). */
        UPGRADE_FAST_START
    }

    private HttpFrontDoor() {
    }

    static Outcome serve(final HttpRequestHead head, final OutputStream out) throws IOException {
        final String method = head.method();
        final boolean headOnly = method.equals("HEAD");
        switch (head.path()) {
            case DerpProtocol.HTTP_PATH: {
                final String upgrade = head.header("Upgrade");
                if (upgrade != null && upgrade.toLowerCase(Locale.ROOT).equals("derp")) {
                    return "1".equals(head.header(FAST_START_HEADER)) ? Outcome.UPGRADE_FAST_START : Outcome.UPGRADE;
                }
                final String text = upgrade != null && upgrade.toLowerCase(Locale.ROOT).equals("websocket")
                    ? "DERP over WebSocket is not supported by this relay\n" : "DERP requires connection upgrade\n";
                respond(out, "426 Upgrade Required", "Content-Type: text/plain; charset=utf-8\r\n"
                    + "X-Content-Type-Options: nosniff\r\n", text, headOnly);
                return Outcome.RESPONDED;
            }
            case PROBE_PATH, LATENCY_CHECK_PATH:
                if (headOnly || method.equals("GET")) {
                    respond(out, "200 OK", "Access-Control-Allow-Origin: *\r\n", "", headOnly);
                } else {
                    respond(out, "405 Method Not Allowed", "Content-Type: text/plain; charset=utf-8\r\n"
                        + "X-Content-Type-Options: nosniff\r\n", "bogus probe method\n", false);
                }
                return Outcome.RESPONDED;
            case GENERATE_204_PATH: {
                final String challenge = head.header(CHALLENGE_HEADER);
                final String echo = challenge != null && isValidChallenge(challenge)
                    ? RESPONSE_HEADER + ": response " + challenge + "\r\n" : "";
                respondNoBody(out, "204 No Content", echo
                    + "Cache-Control: no-cache, no-store, must-revalidate, no-transform, max-age=0\r\n");
                return Outcome.RESPONDED;
            }
            case "/":
                respond(out, "200 OK", "Content-Type: text/html; charset=utf-8\r\n", HOME_PAGE, headOnly);
                return Outcome.RESPONDED;
            case "/robots.txt":
                respond(out, "200 OK", "Content-Type: text/plain; charset=utf-8\r\n", "User-agent: *\nDisallow: /\n",
                    headOnly);
                return Outcome.RESPONDED;
            default:
                respond(out, "404 Not Found", "Content-Type: text/plain; charset=utf-8\r\n"
                    + "X-Content-Type-Options: nosniff\r\n", "404 page not found\n", headOnly);
                return Outcome.RESPONDED;
        }
    }

    /** derper's {@code isChallengeChar} rule plus its 64-character limit. */
    static boolean isValidChallenge(final String challenge) {
        if (challenge.isEmpty() || challenge.length() > MAX_CHALLENGE_LENGTH) {
            return false;
        }
        for (int i = 0; i < challenge.length(); i++) {
            final char c = challenge.charAt(i);
            final boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                || c == '.' || c == '-' || c == '_' || c == ':';
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    /** The 101 response, byte for byte as derper writes it. */
    static byte[] switchingProtocols(final NodeKey serverKey) {
        return ("HTTP/1.1 101 Switching Protocols\r\n"
            + "Upgrade: DERP\r\n"
            + "Connection: Upgrade\r\n"
            + DerpProtocol.HEADER_VERSION + ": " + DerpProtocol.PROTOCOL_VERSION + "\r\n"
            + DerpProtocol.HEADER_PUBLIC_KEY + ": " + serverKey.toHex()
                + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
    }

    /** Best-effort 400 for a request head we could not parse. */
    static void badRequest(final OutputStream out) throws IOException {
        respond(out, "400 Bad Request", "Content-Type: text/plain; charset=utf-8\r\n", "400 Bad Request\n", false);
    }

    private static void respond(
        final OutputStream out, final String status, final String headers, final String body, final boolean headOnly)
        throws IOException {
        final byte[] bodyBytes = body.getBytes(StandardCharsets.UTF_8);
        final String head = "HTTP/1.1 " + status + "\r\n" + headers + "Content-Length: " + bodyBytes.length
            + "\r\nConnection: close\r\n\r\n";
        out.write(head.getBytes(StandardCharsets.ISO_8859_1));
        if (!headOnly) {
            out.write(bodyBytes);
        }
        out.flush();
    }

    private static void respondNoBody(final OutputStream out, final String status, final String headers)
        throws IOException {
        out.write(("HTTP/1.1 " + status + "\r\n" + headers + "Connection: close\r\n\r\n")
            .getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
    }
}
