/**
 * One session's DERP connection: a dispatcher that sorts received packets by their first byte (rendezvous,
 * stream engine, path probes) and the relay {@link dev.derphole.udp.PacketPath} the stream engine sends over.
 */
package dev.derphole.session.link;
