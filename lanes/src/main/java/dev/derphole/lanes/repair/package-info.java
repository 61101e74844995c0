/**
 * Reliability bookkeeping: byte {@link dev.derphole.lanes.repair.RangeSet}s, the sent-packet log, the sender's
 * {@link dev.derphole.lanes.repair.Scoreboard} (acknowledgement, RFC 9002-style loss detection, repair queue,
 * path epochs) and the RFC 6298 {@link dev.derphole.lanes.repair.RttEstimator}.
 */
package dev.derphole.lanes.repair;
