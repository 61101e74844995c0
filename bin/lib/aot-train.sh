#!/usr/bin/env bash
# aot-train.sh JAVA JAR OUT: trains the JDK's AOT cache for bin/derphole (run by cli/pom.xml after the shaded jar
# is built). One JVM with the launcher's transfer flags (bin/lib/jvm.flags) runs dev.derphole.cli.AotTraining (a
# loopback relay, listen and pipe moving a few dozen MiB) and writes OUT when it exits. Never fails the build:
# without a cache the launcher simply starts without one, so a failed training only prints a warning.
set -uo pipefail
java=$1 jar=$2 out=$3
# Hard limit for the whole run, training and the cache's assembly, in seconds.
limit=120
. "$(dirname "${BASH_SOURCE[0]}")/jvm-flags.sh"
derphole_jvm_flags all transfer
rm -f "$out" "$out.log"
started=$(date +%s%N)
# The trainer's and the JVM's own output go to a log, shown only when the training fails.
if timeout --kill-after=5 "$limit" "$java" "${jvm_flags[@]}" "-XX:AOTCacheOutput=$out" -cp "$jar" \
        dev.derphole.cli.AotTraining > "$out.log" 2>&1 && [ -s "$out" ]; then
    rm -f "$out.log"
    echo "derphole: AOT cache $out trained in $(( ($(date +%s%N) - started) / 1000000 )) ms" >&2
else
    rm -f "$out"
    echo "warning: derphole: AOT cache training failed (the launcher runs without a cache); see $out.log:" >&2
    tail -n 5 "$out.log" >&2
fi
exit 0
