package dev.derphole.jmh.session;

import java.util.SplittableRandom;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import dev.derphole.jmh.HotPathBenchmark;
import dev.derphole.crypto.nacl.Curve25519KeyPair;
import dev.derphole.derp.proto.NodeKey;
import dev.derphole.session.path.ProbeCodec;

/**
 * Path probes ({@link ProbeCodec}, HMAC-SHA256): one side builds a PROBE, the other verifies it, answers with an
 * ACK, and the first verifies that. Probes are control-plane traffic (a few per 100 ms while a direct path is
 * tried or kept alive), so this codec is allowed to allocate; the benchmark records what it costs.
 */
@State(Scope.Thread)
public class ProbeCodecBenchmark extends HotPathBenchmark {
    private ProbeCodec near;
    private ProbeCodec far;

    @Setup
    public void setUp() {
        final SplittableRandom random = new SplittableRandom(29);
        final byte[] key = new byte[32];
        final byte[] sessionId = new byte[16];
        random.nextBytes(key);
        random.nextBytes(sessionId);
        final NodeKey a = NodeKey.of(Curve25519KeyPair.generate().publicKey());
        final NodeKey b = NodeKey.of(Curve25519KeyPair.generate().publicKey());
        near = new ProbeCodec(key, sessionId, a, b);
        far = new ProbeCodec(key, sessionId, b, a);
    }

    /** PROBE built and verified, ACK built and verified: two packets; returns the echoed sequence. */
    @Benchmark
    public long probeAndAck() {
        final byte[] probe = near.probe();
        final ProbeCodec.Verified p = far.verify(probe, 0, probe.length);
        if (p == null || p.kind() != ProbeCodec.PROBE) {
            throw new IllegalStateException("probe did not verify");
        }
        final byte[] ack = far.ack(p.sequence(), p.size());
        final ProbeCodec.Verified a = near.verify(ack, 0, ack.length);
        if (a == null || a.echo() != p.sequence()) {
            throw new IllegalStateException("ack did not verify");
        }
        return a.echo();
    }
}
