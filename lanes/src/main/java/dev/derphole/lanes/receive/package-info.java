/** The receiver half: {@link dev.derphole.lanes.receive.ReceiveEngine} (engine loop) and its sink writer thread. */
package dev.derphole.lanes.receive;
