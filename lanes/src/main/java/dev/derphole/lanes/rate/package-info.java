/**
 * Congestion control as a pure sample-to-decision function ({@link dev.derphole.lanes.rate.CongestionControl},
 * CUBIC in {@link dev.derphole.lanes.rate.CubicController}) and the token-bucket
 * {@link dev.derphole.lanes.rate.Pacer} that per-lane rate pacing builds on.
 */
package dev.derphole.lanes.rate;
