package dev.derphole.jmh.session;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import dev.derphole.crypto.nacl.Curve25519KeyPair;
import dev.derphole.derp.proto.NodeKey;
import dev.derphole.session.path.ProbeCodec;

/**
 * Path probes ({@link ProbeCodec}, HMAC-SHA256): one side builds a PROBE, the other verifies it, answers with an
 * ACK, and the first verifies that. Probes are control-plane traffic (a few per 100 ms while a direct path is
 * tried or kept alive), so this codec is allowed to allocate; the benchmark records what it costs.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow",
    "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED"})
public class ProbeCodecBenchmark
{
    private ProbeCodec near;
    private ProbeCodec far;

    @Setup
    public void setUp()
    {
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
    public long probeAndAck()
    {
        final byte[] probe = near.probe();
        final ProbeCodec.Verified p = far.verify(probe, 0, probe.length);
        if (p == null || p.kind() != ProbeCodec.PROBE)
        {
            throw new IllegalStateException("probe did not verify");
        }
        final byte[] ack = far.ack(p.sequence(), p.size());
        final ProbeCodec.Verified a = near.verify(ack, 0, ack.length);
        if (a == null || a.echo() != p.sequence())
        {
            throw new IllegalStateException("ack did not verify");
        }
        return a.echo();
    }
}
