package dev.derphole.jmh;

import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The run settings every hot-path benchmark shares (JMH reads these annotations from superclasses): throughput
 * per second, 3 x 1 s warm-up, 5 x 1 s measurement, one fork with the JVM flags the product runs with
 * (FFM native access, Unsafe for Agrona/JCTools, jdk.internal.misc for Agrona).
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow",
    "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED"})
public abstract class HotPathBenchmark {
}
