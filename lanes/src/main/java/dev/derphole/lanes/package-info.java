/**
 * The reliable stream engine (design D3): one byte stream, sender to receiver, over any
 * {@link dev.derphole.udp.PacketPath}, with selective acknowledgements, repair, CUBIC congestion control,
 * pacing hooks, flow control, heartbeats and live path switching. Entry points: {@link dev.derphole.lanes.BulkSender},
 * {@link dev.derphole.lanes.BulkReceiver}, {@link dev.derphole.lanes.StreamConfig},
 * {@link dev.derphole.lanes.StreamKeys}. Wire format: {@code docs/stream-protocol.md}.
 */
package dev.derphole.lanes;
