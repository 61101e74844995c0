/**
 * Stream protocol version 3 on the wire: packet types (0x10-0x3f), the clear header used as AEAD additional
 * data, DATA/ACK/ABORT body layouts, {@link dev.derphole.lanes.wire.Truncated} (packet numbers and DATA offsets
 * sent as their low 24 and 32 bits and restored by the receiver), and {@link dev.derphole.lanes.wire.PacketCodec},
 * which seals and opens packets and rejects malformed, forged and replayed ones by counting, never by throwing.
 */
package dev.derphole.lanes.wire;
