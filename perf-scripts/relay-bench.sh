#!/usr/bin/env bash
# The relay forwarding benchmark (issue 2): the derphole relay against plain TCP forwarders on loopback.
# Run `perf-scripts/relay-bench.sh --help` for what it does and its options.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

usage() {
    cat <<'EOF'
Usage: perf-scripts/relay-bench.sh [--no-build] [--out DIR] [RelayBench options...]

Builds the relay (cli/target/derphole.jar) and the harness (perf-scripts/target/perf-scripts.jar), then runs
the matrix: 1 and 50 client pairs x 1,200 B and 16 KiB packets x {derp relay, socat, Java forwarder},
each 2 s warm-up + 8 s measured, interleaved so every forwarder sees the same machine noise. The relay runs
as its own process (`derphole relay --listen 127.0.0.1:0 --no-stun --queue-depth N`); its CPU time and RSS
(sampled every second) come from /proc. Everything stays on 127.0.0.1.

Writes .tmp/perf/<utc>-<pid>/ (or --out DIR): results.csv (one row per run), decision.json (the gate),
table.md, logs/ (each forwarder's output). Prints the table.

Gate: derp MB/s >= 0.8 x socat MB/s at 16 KiB for every pair count; relay RSS max/min <= 1.5 within every
measured window; no failed run, no reordered packet, no loss over the TCP baselines.
Exit status: 0 gate passed, 1 gate failed, 2 bad arguments, 3 the harness failed.

Options of this script:
  --no-build     use the jars as they are
  --out DIR      run directory (default: .tmp/perf/<utc>-<pid>)
  --help         this text, then the harness's own options

Harness options (passed through), e.g.:
  --repeat 3                  run the matrix three times (medians are reported)
  --queue-depths 32,1024      also measure the relay with a deeper per-client queue
  --pairs 1 --sizes 16384     a smaller matrix
  --measure 4 --warmup 1      shorter runs
EOF
}

build=1
out=""
args=()
while [ $# -gt 0 ]; do
    case "$1" in
        --help|-h) usage; help=1; break ;;
        --no-build) build=0; shift ;;
        --out) [ $# -ge 2 ] || { echo "error: --out needs a directory" >&2; exit 2; }; out=$2; shift 2 ;;
        *) args+=("$1"); shift ;;
    esac
done

. "$root/bin/lib/jdk25.sh"
derphole_find_jdk25
jvm_flags=(--enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow
    --add-exports java.base/jdk.internal.misc=ALL-UNNAMED)
jar="$root/perf-scripts/target/perf-scripts.jar"

if [ "${help:-0}" = 1 ]; then
    if [ -f "$jar" ]; then
        echo
        "$JAVA_HOME/bin/java" "${jvm_flags[@]}" -jar "$jar" --help
    fi
    exit 0
fi

if ! command -v socat >/dev/null 2>&1; then
    echo "warning: socat not found; its runs will fail (apt-get install socat)" >&2
fi

cd "$root"
if [ "$build" = 1 ]; then
    echo "relay-bench: building cli and perf-scripts..." >&2
    ./mvnw -q -B -DskipTests package -pl cli,perf-scripts -am >&2
fi
for f in "$jar" "$root/cli/target/derphole.jar"; do
    [ -f "$f" ] || { echo "error: $f is missing; run without --no-build" >&2; exit 3; }
done

if [ -z "$out" ]; then
    out="$root/.tmp/perf/$(date -u +%Y%m%dT%H%M%SZ)-$$"
fi
mkdir -p "$out"
commit=$(git -C "$root" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
if [ -n "$(git -C "$root" status --porcelain --untracked-files=no 2>/dev/null)" ]; then
    commit="$commit+dirty"
fi

harness=""
cleanup() {
    # Only what this run started: the harness, then any child it recorded that is still one of ours.
    if [ -n "$harness" ] && kill -0 "$harness" 2>/dev/null; then
        kill "$harness" 2>/dev/null || true
        for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$harness" 2>/dev/null || break; sleep 0.5; done
        kill -9 "$harness" 2>/dev/null || true
    fi
    if [ -f "$out/children.pids" ]; then
        while read -r pid; do
            [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || continue
            if tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qE 'socat|DerpholeMain relay|TcpForwarder'; then
                kill "$pid" 2>/dev/null || true
            fi
        done <"$out/children.pids"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

echo "relay-bench: results in $out (commit $commit)" >&2
set +e
"$JAVA_HOME/bin/java" "${jvm_flags[@]}" -jar "$jar" --out "$out" \
    --relay-jar "$root/cli/target/derphole.jar" --commit "$commit" "${args[@]}" &
harness=$!
wait "$harness"
rc=$?
set -e
harness=""
echo "relay-bench: results in $out" >&2
exit "$rc"
