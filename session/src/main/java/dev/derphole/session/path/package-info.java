/**
 * Direct UDP paths: one UDP socket per session ({@link dev.derphole.session.path.UdpEndpoint}), local candidate
 * gathering ({@link dev.derphole.session.path.LocalCandidates}), authenticated path probes
 * ({@link dev.derphole.session.path.ProbeCodec}) and the prober that promotes a validated address to the
 * stream engine and falls back to the relay when it goes quiet ({@link dev.derphole.session.path.PathProber}).
 */
package dev.derphole.session.path;
