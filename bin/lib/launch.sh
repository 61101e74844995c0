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
# JVM flags: bin/lib/jvm.flags (why each one; shared with the AOT training run and the system tests).
. "$root/bin/lib/jvm-flags.sh"
command=transfer
for arg in "$@"; do
    if [ "$arg" = relay ]; then
        command=relay
        break
    fi
done
if [ "$command" = relay ]; then
    derphole_jvm_flags all
else
    derphole_jvm_flags all transfer
    # The AOT cache (JEP 483/514/515) trained at build time on a loopback transfer with exactly these flags
    # (cli/pom.xml, bin/lib/aot-train.sh): loaded and linked classes, method profiles and compiled lambda forms
    # ready at start-up. One older than the jar is stale and must be left out: the JDK does not notice a rebuilt jar
    # and would run the cache's old classes. One the JVM refuses (other flags in DERPHOLE_JAVA_OPTS, another JDK)
    # costs a few [aot] lines on stderr and a slower start, nothing else.
    aot="$root/cli/target/derphole.aot"
    if [ -f "$aot" ] && [ ! "$aot" -ot "$jar" ]; then
        jvm_flags+=("-XX:AOTCache=$aot")
    fi
fi
# File names: the JVM encodes paths in the locale's charset (sun.jnu.encoding), ASCII under the C/POSIX locale of
# cron jobs, containers and `env -i`, where `receive` could not create "été.jpg". A -D flag cannot change it; a UTF-8
# locale does (C.UTF-8 is built into glibc 2.35+; where it is missing the JVM falls back as before).
if [ "$(locale charmap 2>/dev/null || true)" != UTF-8 ]; then
    export LC_ALL=C.UTF-8
fi
exec "$JAVA_HOME/bin/java" \
    "${jvm_flags[@]}" \
    ${DERPHOLE_JAVA_OPTS:-} \
    -cp "$jar" "$main" "$@"
