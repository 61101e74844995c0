/**
 * End-to-end benchmark harnesses, run by the scripts next to this module (never by the test phase).
 * {@link dev.derphole.perf.RelayBench} measures the derphole relay, started as its own process, against plain TCP
 * forwarders (socat, {@link dev.derphole.perf.TcpForwarder}) on the same loopback: delivered packets/s and MB/s,
 * loss, forwarder CPU and RSS, then applies the gate of issue 2 and writes results.csv and decision.json.
 */
package dev.derphole.perf;
