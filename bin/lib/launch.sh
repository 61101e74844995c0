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
# Memory: a transfer holds ~60-80 MiB of buffers (32 MiB stream ring, 8 MiB inbox per path, DERP queues). The
# JVM's defaults (G1, max heap 1/4 of RAM) let the heap grow to ~300 MiB RSS on a 24 GiB machine; the serial
# collector with a 192 MiB cap keeps each process near 150-200 MiB RSS at the same CPU cost
# (docs/benchmarks.md). DERPHOLE_JAVA_OPTS comes later, so e.g. -Xmx1g there overrides the cap.
# The relay is the exception: its memory grows with its clients (a queue of up to 32 packets each), so it
# keeps the JVM's defaults rather than risk running out of heap under load.
# Keep in sync with cli/src/test/java/dev/derphole/cli/CliProcess.java.
memory=(-XX:+UseSerialGC -Xmx192m)
for arg in "$@"; do
    if [ "$arg" = relay ]; then
        memory=()
        break
    fi
done
exec "$JAVA_HOME/bin/java" \
    --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow \
    --add-exports java.base/jdk.internal.misc=ALL-UNNAMED \
    "${memory[@]}" \
    ${DERPHOLE_JAVA_OPTS:-} \
    -cp "$jar" "$main" "$@"
