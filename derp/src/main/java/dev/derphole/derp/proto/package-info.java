/**
 * The DERP wire protocol exactly as Tailscale speaks it (tailscale {@code derp/derp.go}, protocol version 2):
 * frame types and limits, the 5-byte frame header, the ServerKey / ClientInfo / ServerInfo handshake
 * (NaCl box), and the 32-byte node keys that address clients. Shared by the client and the relay server.
 * See {@code docs/protocol.md} for the frame table.
 */
package dev.derphole.derp.proto;
