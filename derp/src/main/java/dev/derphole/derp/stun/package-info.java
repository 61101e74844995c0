/**
 * STUN (RFC 5389) as Tailscale uses it: binding requests and responses only, for learning a socket's
 * server-reflexive address and for latency probes; no authentication, no TURN.
 *
 * <p>{@link dev.derphole.derp.stun.StunMessage} encodes and checks messages in caller buffers
 * (allocation-free on the server's per-request path); bad input yields a status code or a
 * {@link dev.derphole.derp.stun.StunException}, nothing else.
 * {@link dev.derphole.derp.stun.StunServer} is the UDP responder {@code derphole relay} runs next to
 * its DERP server, counting what it drops instead of logging it.
 * {@link dev.derphole.derp.stun.StunClient} asks one or several servers from a given socket, with
 * RFC 5389 retransmission and a hard time bound.
 */
package dev.derphole.derp.stun;
