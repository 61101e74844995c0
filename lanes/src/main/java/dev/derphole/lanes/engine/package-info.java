/**
 * Plumbing both engine halves share: the SPSC {@link dev.derphole.lanes.engine.ByteRing} for stream bytes,
 * the {@link dev.derphole.lanes.engine.Inbox} that moves datagrams from path threads to the engine without
 * allocating, the park/wake {@link dev.derphole.lanes.engine.Signal}, and named counters.
 */
package dev.derphole.lanes.engine;
