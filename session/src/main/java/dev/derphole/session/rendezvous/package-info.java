/**
 * Rendezvous over DERP: the claimer proves it holds the token (AES-256-GCM under a key derived from the
 * bearer secret) and asks to join; the listener answers with one decision. The relay forwards these packets
 * but learns nothing from them: not the session id, not the candidates, not the identities.
 * <p>
 * {@link dev.derphole.session.rendezvous.RendezvousListener} and
 * {@link dev.derphole.session.rendezvous.RendezvousClaimer} are pure logic (no threads, no I/O, clock
 * injected); {@link dev.derphole.session.rendezvous.ClaimDriver} runs the claimer's resend loop over an
 * injected send function and packet source. Packet layouts: {@code docs/session-protocol.md}.
 */
package dev.derphole.session.rendezvous;
