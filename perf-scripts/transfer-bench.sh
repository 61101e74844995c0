#!/usr/bin/env bash
# Loopback transfer benchmark (issue 3): derphole listen|pipe over our own DERP relay, against a socat TCP relay
# carrying the same bytes between two socat clients, in the same run. See --help.
set -euo pipefail

usage()
{
    cat <<'EOF'
Usage: perf-scripts/transfer-bench.sh [options]

Moves SIZE bytes of random data (generated once per invocation into a temp file, so /dev/urandom is not
measured) over loopback, RUNS times each, alternating which tool goes first:

  derphole  bin/derphole relay --listen 127.0.0.1:0 --no-stun        (the relay)
            bin/derphole -v --derp-url URL listen | HASH              (the receiver)
            bin/derphole -v pipe TOKEN < input                        (the sender)
  socat     socat TCP-LISTEN:R,bind=127.0.0.1 TCP-LISTEN:S,bind=127.0.0.1   (the relay: joins two listeners)
            socat -u TCP:127.0.0.1:R STDOUT | HASH                    (the receiver, connects first)
            socat -u STDIN TCP:127.0.0.1:S < input                    (the sender)

HASH is `openssl dgst -sha256` (sha256sum when openssl is missing); it runs inline on the receiver's output
for both tools, its CPU is recorded but not counted against either tool. Each run checks the output hash
against the input's.

Per run: wall seconds from the sender's start until sender and receiver have both exited (for derphole this
includes the claim handshake, a few ms); MB/s = SIZE / wall / 1e6 (decimal megabytes; 1 GiB -> 1073.7 MB);
user+sys CPU seconds and peak RSS (KiB) of each of the three processes, from /usr/bin/time (derphole's
numbers include JVM start-up). The derphole relay is stopped with SIGTERM after the transfer.

Gate (decision.json): median derphole MB/s >= 0.5 x median socat MB/s, and every derphole process's median
peak RSS < 256 MiB.

Options:
  --runs N          runs per tool (default 3; medians are reported)
  --size BYTES      bytes to move (default 1073741824 = 1 GiB)
  --only TOOL       derphole or socat (default: both)
  --queue-depth N   derphole relay per-destination queue depth (default: the relay's default, 32)
  --java-opts STR   DERPHOLE_JAVA_OPTS for the three derphole JVMs (default: unset)
  --derphole-root D run D/bin/derphole instead of this tree's (D must have been built already)
  --baseline-root D also run D/bin/derphole (e.g. an older commit built there) as tool "derphole-base" in
                    every round, interleaved with the others, for before/after comparisons in one run
  --out DIR         results directory (default .tmp/perf/<utc>-<pid>)
  --build           rebuild the CLI jar first (it is built anyway when missing)
  --keep            keep the input file and per-run logs of successful runs
  --timeout SEC     give up on one transfer after SEC seconds (default 300)
  -h, --help        this text

Writes DIR/results.csv (one row per process per run) and DIR/decision.json (medians, ratio, gate), each
atomically (temp file + rename), plus DIR/logs/ (stderr of every process, derphole's stats lines).
Loopback only; kills only the processes it started. The machine may be shared: use the medians.
EOF
}

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$root/perf-scripts/lib/bench-common.sh"
runs=3
size=1073741824
only=both
queue_depth=
java_opts=
derphole_root=
baseline_root=
out_dir=
build=0
keep=0
transfer_timeout=300

while [ $# -gt 0 ]; do
    case "$1" in
        --runs) bench_need_value "$@"; runs=$2; shift 2 ;;
        --size) bench_need_value "$@"; size=$2; shift 2 ;;
        --only) bench_need_value "$@"; only=$2; shift 2 ;;
        --queue-depth) bench_need_value "$@"; queue_depth=$2; shift 2 ;;
        --java-opts) bench_need_value "$@"; java_opts=$2; shift 2 ;;
        --derphole-root) bench_need_value "$@"; derphole_root=$2; shift 2 ;;
        --baseline-root) bench_need_value "$@"; baseline_root=$2; shift 2 ;;
        --out) bench_need_value "$@"; out_dir=$2; shift 2 ;;
        --build) build=1; shift ;;
        --keep) keep=1; shift ;;
        --timeout) bench_need_value "$@"; transfer_timeout=$2; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        *) die "unknown option $1 (see --help)" ;;
    esac
done
case "$only" in both|derphole|socat) ;; *) die "--only takes derphole or socat" ;; esac
bench_positive_int --runs "$runs"
bench_positive_int --size "$size"
bench_positive_int --timeout "$transfer_timeout"
if [ -n "$queue_depth" ]; then bench_positive_int --queue-depth "$queue_depth"; fi

bench_require socat /usr/bin/time timeout ss
bench_pick_hash

cd "$root"
utc=$(date -u +%Y%m%dT%H%M%SZ)
out_dir=${out_dir:-.tmp/perf/$utc-$$}
mkdir -p "$out_dir/logs"
out_dir=$(cd "$out_dir" && pwd)
logs=$out_dir/logs

if [ -n "$derphole_root" ]; then
    derphole_root=$(bench_resolve_root "$derphole_root")
else
    derphole_root=$root
fi
derphole=$derphole_root/bin/derphole
if [ -n "$baseline_root" ]; then
    baseline_root=$(bench_resolve_root "$baseline_root")
fi
bench_install_traps
if [ "$only" != socat ] && [ "$derphole_root" = "$root" ]; then
    bench_build_if_needed "$build"
fi

bench_make_input "$out_dir/input.bin" "$size"
commit=$(bench_commit "$derphole_root")

csv_tmp=$out_dir/.results.csv.tmp
echo "run,tool,role,wall_s,mb_per_s,cpu_s,rss_kib,hash_ok" > "$csv_tmp"

# run_derphole N [TOOL LAUNCHER]: one transfer; appends rows to the CSV.
run_derphole()
{
    local n=$1 tool=${2:-derphole} derphole=${3:-$derphole}
    local d=$logs/$tool-$n
    local relay_extra=()
    if [ -n "$queue_depth" ]; then
        relay_extra+=(--queue-depth "$queue_depth")
    fi
    bench_run_derphole "$d" "$derphole" url "${relay_extra[@]}" || { echo "error: $tool run $n failed" >&2; return 1; }
    record "$n" "$tool" "$d" "$bench_start" "$bench_end"
}

# run_socat N: one transfer through a socat relay joining two listeners; appends rows to the CSV.
run_socat()
{
    local n=$1 d=$logs/socat-$1
    fresh_dir "$d"
    local recv_port send_port
    recv_port=$(free_port)
    send_port=$(free_port)
    while [ "$send_port" = "$recv_port" ]; do send_port=$(free_port); done
    # socat opens its first address (the receiver's listener) and then its second (the sender's).
    timeout "$transfer_timeout" "${timed[@]}" "$d/relay.time" \
        socat TCP-LISTEN:"$recv_port",bind=127.0.0.1,reuseaddr TCP-LISTEN:"$send_port",bind=127.0.0.1,reuseaddr \
        2> "$d/relay.err" &
    local relay_pid=$!
    pids+=("$relay_pid")
    wait_listening "$recv_port" || { echo "error: socat relay did not listen on $recv_port" >&2; return 1; }
    ( timeout "$transfer_timeout" "${timed[@]}" "$d/listen.time" \
        socat -u TCP:127.0.0.1:"$recv_port" STDOUT 2> "$d/listen.err" \
        | "${timed[@]}" "$d/hash.time" "${hash_cmd[@]}" > "$d/output.hash" ) &
    local listen_pid=$!
    pids+=("$listen_pid")
    wait_listening "$send_port" || { echo "error: socat relay did not listen on $send_port" >&2; return 1; }

    local start end
    start=$(now)
    timeout "$transfer_timeout" "${timed[@]}" "$d/pipe.time" \
        socat -u STDIN TCP:127.0.0.1:"$send_port" < "$input" 2> "$d/pipe.err" &
    local pipe_pid=$!
    pids+=("$pipe_pid")
    local rc=0
    wait "$pipe_pid" || rc=$?
    wait "$listen_pid" || rc=$?
    end=$(now)
    wait "$relay_pid" || rc=$?
    if [ "$rc" -ne 0 ]; then
        echo "error: socat run $n failed (exit $rc; see $d)" >&2
        return 1
    fi
    record "$n" socat "$d" "$start" "$end"
}

# record N TOOL DIR START END: CSV rows for sender (pipe), receiver (listen), relay and the hash process.
record()
{
    local n=$1 tool=$2 d=$3 start=$4 end=$5
    local wall mbps hash_ok
    wall=$(bench_wall "$start" "$end")
    mbps=$(bench_mbps "$size" "$wall")
    hash_ok=$(bench_hash_ok "$d")
    local role fields
    for role in pipe listen relay hash; do
        fields=$(time_fields "$d/$role.time")
        echo "$n,$tool,$role,$wall,$mbps,$(cpu_of "$fields"),$(rss_of "$fields"),$hash_ok" >> "$csv_tmp"
    done
    printf '%-8s run %d: %7.1f MB/s  wall %6.2f s  cpu pipe %s listen %s relay %s  rss KiB pipe %s listen %s relay %s  hash %s\n' \
        "$tool" "$n" "$mbps" "$wall" \
        "$(cpu_of "$(time_fields "$d/pipe.time")")" "$(cpu_of "$(time_fields "$d/listen.time")")" \
        "$(cpu_of "$(time_fields "$d/relay.time")")" \
        "$(rss_of "$(time_fields "$d/pipe.time")")" "$(rss_of "$(time_fields "$d/listen.time")")" \
        "$(rss_of "$(time_fields "$d/relay.time")")" "$hash_ok" >&2
    if [ "$tool" != socat ]; then
        grep -h '^stats ' "$d/pipe.err" "$d/listen.err" | sed 's/^/         /' >&2 || true
    fi
    if [ "$hash_ok" != true ]; then
        echo "error: $tool run $n: output hash differs from the input's" >&2
        return 1
    fi
}

load_start=$(cut -d' ' -f1-3 /proc/loadavg)
echo "results in $out_dir (commit $commit, load $load_start)" >&2
for ((i = 1; i <= runs; i++)); do
    tools=()
    if [ "$only" != socat ]; then tools+=(derphole); fi
    if [ "$only" != derphole ]; then tools+=(socat); fi
    if [ -n "$baseline_root" ]; then tools+=(derphole-base); fi
    # Rotate the order every round, so no tool always runs first (or right after another).
    for ((k = 0; k < ${#tools[@]}; k++)); do
        tool=${tools[$(((k + i - 1) % ${#tools[@]}))]}
        case "$tool" in
            derphole) run_derphole "$i" ;;
            derphole-base) run_derphole "$i" derphole-base "$baseline_root/bin/derphole" ;;
            socat) run_socat "$i" ;;
        esac
    done
    pids=()
done
load_end=$(cut -d' ' -f1-3 /proc/loadavg)
mv "$csv_tmp" "$out_dir/results.csv"

median_of()
{
    # median_of TOOL ROLE COLUMN
    median "$out_dir/results.csv" "$@"
}

tool_json()
{
    local t=$1
    printf '    "%s": {\n' "$t"
    printf '      "mb_per_s": %s,\n      "wall_s": %s,\n' "$(median_of "$t" pipe 5)" "$(median_of "$t" pipe 4)"
    local role
    for role in pipe listen relay; do
        printf '      "%s": { "cpu_s": %s, "rss_kib": %s },\n' "$role" "$(median_of "$t" "$role" 6)" "$(median_of "$t" "$role" 7)"
    done
    printf '      "hash": { "cpu_s": %s }\n    }' "$(median_of "$t" hash 6)"
}

derp_mbps=$(median_of derphole pipe 5)
socat_mbps=$(median_of socat pipe 5)
ratio=null
throughput_ok=null
if [ "$derp_mbps" != null ] && [ "$socat_mbps" != null ]; then
    ratio=$(awk -v a="$derp_mbps" -v b="$socat_mbps" 'BEGIN { printf "%.3f", a / b }')
    throughput_ok=$(awk -v r="$ratio" 'BEGIN { print (r >= 0.5) ? "true" : "false" }')
fi
rss_ok=null
if [ "$derp_mbps" != null ]; then
    rss_ok=true
    for role in pipe listen relay; do
        if [ "$(median_of derphole "$role" 7)" -ge $((256 * 1024)) ]; then rss_ok=false; fi
    done
fi
pass=false
if [ "$throughput_ok" = true ] && [ "$rss_ok" = true ]; then pass=true; fi

{
    echo "{"
    printf '  "date_utc": "%s",\n  "commit": "%s",\n  "size_bytes": %s,\n  "runs": %s,\n' "$utc" "$commit" "$size" "$runs"
    printf '  "machine": "%s",\n' "$(bench_machine)"
    printf '  "load_avg_start": "%s",\n  "load_avg_end": "%s",\n' "$load_start" "$load_end"
    printf '  "derphole_java_opts": "%s",\n  "relay_queue_depth": "%s",\n' "$java_opts" "${queue_depth:-default}"
    printf '  "mb_definition": "size / wall / 1e6",\n  "hash": "%s, inline on the receiver output",\n' "${hash_cmd[*]}"
    printf '  "medians": {\n'
    sep=
    for t in derphole socat derphole-base; do
        if [ "$(median_of "$t" pipe 5)" != null ]; then
            printf '%s' "$sep"
            tool_json "$t"
            sep=$',\n'
        fi
    done
    printf '\n  },\n'
    printf '  "ratio_derphole_to_socat": %s,\n' "$ratio"
    if [ -n "$baseline_root" ]; then
        printf '  "baseline_root": "%s",\n' "$baseline_root"
        printf '  "ratio_derphole_to_baseline": %s,\n' "$(awk -v a="$derp_mbps" -v b="$(median_of derphole-base pipe 5)" \
            'BEGIN { if (a == "null" || b == "null") print "null"; else printf "%.3f", a / b }')"
    fi
    printf '  "gate": { "throughput_at_least_half_socat": %s, "rss_under_256_mib": %s, "pass": %s }\n' \
        "$throughput_ok" "$rss_ok" "$pass"
    echo "}"
} | bench_write_atomic "$out_dir/decision.json"
cat "$out_dir/decision.json"
