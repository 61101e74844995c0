/** The sender half: {@link dev.derphole.lanes.send.SendEngine} (engine loop) and its source reader thread. */
package dev.derphole.lanes.send;
