# Sourced by bin/derphole and bin/derptun with $main set: builds the shaded jar on first use, then execs it.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$root/bin/lib/jdk25.sh"
derphole_find_jdk25
jar="$root/cli/target/derphole.jar"
if [ ! -f "$jar" ] || [ -n "${DERPHOLE_REBUILD:-}" ]; then
    echo "derphole: building $jar (first use)..." >&2
    if ! (cd "$root" && ./mvnw -q -B -DskipTests -Dmaven.test.skip=true package -pl cli -am >&2); then
        echo "error: build failed; run bin/mvn package to see why." >&2
        exit 1
    fi
fi
# Memory: a transfer holds ~40-60 MiB of buffers (32 MiB stream ring, inbox slots per path, lane batches, DERP
# queues). The JVM's defaults (G1, max heap 1/4 of RAM) let the heap grow to ~300 MiB RSS on a 24 GiB machine;
# the serial collector with a 192 MiB cap costs the same CPU. A young generation of 24 MiB (default: a third of
# the heap, all of it touched between collections) and big arrays allocated straight into the old generation
# (PretenureSizeThreshold: the ring was copied out of eden, 30-100 ms pauses) keep RSS near 185 MiB per side
# with one lane and 225 MiB with four (docs/benchmarks.md). DERPHOLE_JAVA_OPTS comes later, so e.g. -Xmx1g
# there overrides the cap.
# The relay is the exception: its memory grows with its clients (a queue of up to 32 packets each), so it
# keeps the JVM's defaults rather than risk running out of heap under load.
# Keep in sync with cli/src/test/java/dev/derphole/cli/CliProcess.java.
memory=(-XX:+UseSerialGC -Xmx192m -Xmn24m -XX:PretenureSizeThreshold=512k)
# JIT: C2 waits for 4x the default invocation/back-edge counts. A transfer's lukewarm start-up code (picocli,
# JSON, the relay handshake, FFM binding, class-file generation for lambdas) then stays in C1 instead of being
# compiled twice. The per-packet methods reach C2 later (after 2-3 s on loopback), which costs little: their
# time goes to AES-GCM intrinsics, copies and system calls. Measured on 1 GiB loopback transfers: JIT threads
# 1.5-1.9 -> 0.9-1.1 CPU-s per side, the engine threads +0.1 s at most (docs/benchmarks.md).
jit=(-XX:Tier4InvocationThreshold=20000 -XX:Tier4MinInvocationThreshold=2400 -XX:Tier4CompileThreshold=60000
    -XX:Tier4BackEdgeThreshold=160000)
for arg in "$@"; do
    if [ "$arg" = relay ]; then
        memory=()
        break
    fi
done
exec "$JAVA_HOME/bin/java" \
    --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow \
    --add-exports java.base/jdk.internal.misc=ALL-UNNAMED \
    "${memory[@]}" "${jit[@]}" \
    ${DERPHOLE_JAVA_OPTS:-} \
    -cp "$jar" "$main" "$@"
