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
exec "$JAVA_HOME/bin/java" \
    --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow \
    --add-exports java.base/jdk.internal.misc=ALL-UNNAMED \
    ${DERPHOLE_JAVA_OPTS:-} \
    -cp "$jar" "$main" "$@"
