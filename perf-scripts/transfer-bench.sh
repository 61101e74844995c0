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
        --runs) runs=$2; shift 2 ;;
        --size) size=$2; shift 2 ;;
        --only) only=$2; shift 2 ;;
        --queue-depth) queue_depth=$2; shift 2 ;;
        --java-opts) java_opts=$2; shift 2 ;;
        --derphole-root) derphole_root=$2; shift 2 ;;
        --baseline-root) baseline_root=$2; shift 2 ;;
        --out) out_dir=$2; shift 2 ;;
        --build) build=1; shift ;;
        --keep) keep=1; shift ;;
        --timeout) transfer_timeout=$2; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "error: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done
case "$only" in both|derphole|socat) ;; *) echo "error: --only takes derphole or socat" >&2; exit 2 ;; esac
[[ "$runs" =~ ^[1-9][0-9]*$ ]] || { echo "error: --runs must be a positive integer" >&2; exit 2; }
[[ "$size" =~ ^[1-9][0-9]*$ ]] || { echo "error: --size must be a positive integer" >&2; exit 2; }

for tool in socat /usr/bin/time timeout ss; do
    command -v "$tool" > /dev/null || { echo "error: $tool is required (apt-get install socat time iproute2)" >&2; exit 2; }
done
if command -v openssl > /dev/null; then
    hash_cmd=(openssl dgst -sha256 -r)
else
    hash_cmd=(sha256sum)
fi

cd "$root"
utc=$(date -u +%Y%m%dT%H%M%SZ)
out_dir=${out_dir:-.tmp/perf/$utc-$$}
mkdir -p "$out_dir/logs"
out_dir=$(cd "$out_dir" && pwd)
logs=$out_dir/logs
input=$out_dir/input.bin

# Every process we start goes here; the trap kills exactly these (and nothing by name).
pids=()
kill_tree()
{
    # Children first, so a JVM under /usr/bin/time or timeout does not outlive its parent.
    local child
    for child in $(pgrep -P "$1" 2> /dev/null || true); do
        kill_tree "$child"
    done
    kill "$1" 2> /dev/null || true
}
cleanup()
{
    local pid
    for pid in "${pids[@]}"; do
        kill_tree "$pid"
    done
    if [ "$keep" -eq 0 ]; then
        rm -f "$input"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ -n "$derphole_root" ]; then
    derphole_root=$(cd "$derphole_root" && pwd)
    [ -f "$derphole_root/cli/target/derphole.jar" ] || { echo "error: $derphole_root has no built cli/target/derphole.jar" >&2; exit 2; }
else
    derphole_root=$root
fi
derphole=$derphole_root/bin/derphole
if [ -n "$baseline_root" ]; then
    baseline_root=$(cd "$baseline_root" && pwd)
    [ -f "$baseline_root/cli/target/derphole.jar" ] || { echo "error: $baseline_root has no built cli/target/derphole.jar" >&2; exit 2; }
fi
jar=$root/cli/target/derphole.jar
if [ "$only" != socat ] && [ "$derphole_root" = "$root" ] && { [ "$build" -eq 1 ] || [ ! -f "$jar" ]; }; then
    echo "building $jar ..." >&2
    bin/mvn -q -B -DskipTests install >&2
fi

echo "generating $size random bytes into $input ..." >&2
head -c "$size" /dev/urandom > "$input"
input_hash=$("${hash_cmd[@]}" < "$input" | cut -d' ' -f1)

java_version=$( (. "$root/bin/lib/jdk25.sh" && derphole_find_jdk25 && "$JAVA_HOME/bin/java" -version 2>&1 | head -n 1 | tr -d '"') || echo unknown)
commit=$(git -C "$root" rev-parse --short=12 HEAD 2> /dev/null || echo unknown)
if [ -n "$(git -C "$root" status --porcelain --untracked-files=no 2> /dev/null)" ]; then
    commit="$commit+dirty"
fi
if [ "$derphole_root" != "$root" ]; then
    commit="$commit (derphole from $derphole_root)"
fi

# "elapsed user sys maxrss" from a /usr/bin/time -o file (its last line; a killed relay adds a first line).
time_fields()
{
    tail -n 1 "$1"
}

cpu_of()
{
    awk '{ printf "%.2f", $2 + $3 }' <<< "$1"
}

rss_of()
{
    awk '{ print $4 }' <<< "$1"
}

wait_for_line()
{
    # wait_for_line FILE REGEX SECONDS: true once FILE has a line matching REGEX.
    local deadline=$((SECONDS + $3))
    while [ "$SECONDS" -lt "$deadline" ]; do
        if grep -qE "$2" "$1" 2> /dev/null; then
            return 0
        fi
        sleep 0.05
    done
    return 1
}

free_port()
{
    # A port in 20000..59999 nobody listens on now (socat fails loudly if it is taken meanwhile).
    local port
    while :; do
        port=$((20000 + RANDOM % 40000))
        if ! ss -Htln "sport = :$port" | grep -q .; then
            echo "$port"
            return
        fi
    done
}

wait_listening()
{
    local deadline=$((SECONDS + 10))
    while [ "$SECONDS" -lt "$deadline" ]; do
        if ss -Htln "sport = :$1" | grep -q .; then
            return 0
        fi
        sleep 0.02
    done
    return 1
}

now()
{
    date +%s.%N
}

csv_tmp=$out_dir/.results.csv.tmp
echo "run,tool,role,wall_s,mb_per_s,cpu_s,rss_kib,hash_ok" > "$csv_tmp"

# run_derphole N [TOOL LAUNCHER]: one transfer; appends rows to the CSV.
run_derphole()
{
    local n=$1 tool=${2:-derphole} derphole=${3:-$derphole}
    local d=$logs/$tool-$n
    mkdir -p "$d"
    local relay_args=(relay --listen 127.0.0.1:0 --no-stun)
    if [ -n "$queue_depth" ]; then
        relay_args+=(--queue-depth "$queue_depth")
    fi
    DERPHOLE_JAVA_OPTS=$java_opts /usr/bin/time -o "$d/relay.time" -f '%e %U %S %M' \
        "$derphole" "${relay_args[@]}" > "$d/relay.out" 2> "$d/relay.err" &
    local relay_time_pid=$!
    pids+=("$relay_time_pid")
    wait_for_line "$d/relay.out" '^derp-url ' 30 || wait_for_line "$d/relay.err" '^derp-url ' 1 \
        || { echo "error: relay printed no derp-url (see $d)" >&2; return 1; }
    local url
    url=$(cat "$d/relay.out" "$d/relay.err" | sed -n 's/^derp-url \([^ ]*\).*/\1/p' | head -n 1)

    ( DERPHOLE_JAVA_OPTS=$java_opts timeout "$transfer_timeout" /usr/bin/time -o "$d/listen.time" -f '%e %U %S %M' \
        "$derphole" -v --derp-url "$url" listen 2> "$d/listen.err" \
        | /usr/bin/time -o "$d/hash.time" -f '%e %U %S %M' "${hash_cmd[@]}" > "$d/output.hash" ) &
    local listen_pid=$!
    pids+=("$listen_pid")
    wait_for_line "$d/listen.err" '^[A-Za-z0-9_-]{40,}$' 30 \
        || { echo "error: listen printed no token (see $d)" >&2; return 1; }
    local token
    token=$(grep -E '^[A-Za-z0-9_-]{40,}$' "$d/listen.err" | head -n 1)

    local start end
    start=$(now)
    DERPHOLE_JAVA_OPTS=$java_opts timeout "$transfer_timeout" /usr/bin/time -o "$d/pipe.time" -f '%e %U %S %M' \
        "$derphole" -v pipe "$token" < "$input" 2> "$d/pipe.err" &
    local pipe_pid=$!
    pids+=("$pipe_pid")
    local rc=0
    wait "$pipe_pid" || rc=$?
    wait "$listen_pid" || rc=$?
    end=$(now)
    # Stop the relay: SIGTERM to the JVM (the child of /usr/bin/time), which then writes its numbers.
    local relay_jvm
    for relay_jvm in $(pgrep -P "$relay_time_pid" 2> /dev/null || true); do
        kill -TERM "$relay_jvm" 2> /dev/null || true
    done
    wait "$relay_time_pid" 2> /dev/null || true
    if [ "$rc" -ne 0 ]; then
        echo "error: $tool run $n failed (exit $rc; see $d)" >&2
        return 1
    fi
    record "$n" "$tool" "$d" "$start" "$end" pipe listen relay
}

# run_socat N: one transfer through a socat relay joining two listeners; appends rows to the CSV.
run_socat()
{
    local n=$1 d=$logs/socat-$1
    mkdir -p "$d"
    local recv_port send_port
    recv_port=$(free_port)
    send_port=$(free_port)
    while [ "$send_port" = "$recv_port" ]; do send_port=$(free_port); done
    # socat opens its first address (the receiver's listener) and then its second (the sender's).
    timeout "$transfer_timeout" /usr/bin/time -o "$d/relay.time" -f '%e %U %S %M' \
        socat TCP-LISTEN:"$recv_port",bind=127.0.0.1,reuseaddr TCP-LISTEN:"$send_port",bind=127.0.0.1,reuseaddr \
        2> "$d/relay.err" &
    local relay_pid=$!
    pids+=("$relay_pid")
    wait_listening "$recv_port" || { echo "error: socat relay did not listen on $recv_port" >&2; return 1; }
    ( timeout "$transfer_timeout" /usr/bin/time -o "$d/listen.time" -f '%e %U %S %M' \
        socat -u TCP:127.0.0.1:"$recv_port" STDOUT 2> "$d/listen.err" \
        | /usr/bin/time -o "$d/hash.time" -f '%e %U %S %M' "${hash_cmd[@]}" > "$d/output.hash" ) &
    local listen_pid=$!
    pids+=("$listen_pid")
    wait_listening "$send_port" || { echo "error: socat relay did not listen on $send_port" >&2; return 1; }

    local start end
    start=$(now)
    timeout "$transfer_timeout" /usr/bin/time -o "$d/pipe.time" -f '%e %U %S %M' \
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
    record "$n" socat "$d" "$start" "$end" pipe listen relay
}

# record N TOOL DIR START END: CSV rows for sender (pipe), receiver (listen), relay and the hash process.
record()
{
    local n=$1 tool=$2 d=$3 start=$4 end=$5
    local wall mbps hash_ok=false
    wall=$(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.3f", e - s }')
    mbps=$(awk -v b="$size" -v w="$wall" 'BEGIN { printf "%.1f", b / w / 1e6 }')
    if [ "$(cut -d' ' -f1 < "$d/output.hash")" = "$input_hash" ]; then
        hash_ok=true
    fi
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

# Medians per tool and role (awk: sort numerically, take the middle; even counts average the two middles).
median()
{
    # median TOOL ROLE COLUMN
    awk -F, -v t="$1" -v r="$2" -v c="$3" 'NR > 1 && $2 == t && $3 == r { print $c }' "$out_dir/results.csv" \
        | sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) { print "null" } else if (NR % 2) { print v[(NR + 1) / 2] }
            else { printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 } }'
}

tool_json()
{
    local t=$1
    printf '    "%s": {\n' "$t"
    printf '      "mb_per_s": %s,\n      "wall_s": %s,\n' "$(median "$t" pipe 5)" "$(median "$t" pipe 4)"
    local role
    for role in pipe listen relay; do
        printf '      "%s": { "cpu_s": %s, "rss_kib": %s },\n' "$role" "$(median "$t" "$role" 6)" "$(median "$t" "$role" 7)"
    done
    printf '      "hash": { "cpu_s": %s }\n    }' "$(median "$t" hash 6)"
}

derp_mbps=$(median derphole pipe 5)
socat_mbps=$(median socat pipe 5)
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
        if [ "$(median derphole "$role" 7)" -ge $((256 * 1024)) ]; then rss_ok=false; fi
    done
fi
pass=false
if [ "$throughput_ok" = true ] && [ "$rss_ok" = true ]; then pass=true; fi

json_tmp=$out_dir/.decision.json.tmp
{
    echo "{"
    printf '  "date_utc": "%s",\n  "commit": "%s",\n  "size_bytes": %s,\n  "runs": %s,\n' "$utc" "$commit" "$size" "$runs"
    printf '  "machine": "%s vCPU, %s, %s",\n' "$(nproc)" "$(uname -r)" "$java_version"
    printf '  "load_avg_start": "%s",\n  "load_avg_end": "%s",\n' "$load_start" "$load_end"
    printf '  "derphole_java_opts": "%s",\n  "relay_queue_depth": "%s",\n' "$java_opts" "${queue_depth:-default}"
    printf '  "mb_definition": "size / wall / 1e6",\n  "hash": "%s, inline on the receiver output",\n' "${hash_cmd[*]}"
    printf '  "medians": {\n'
    sep=
    for t in derphole socat derphole-base; do
        if [ "$(median "$t" pipe 5)" != null ]; then
            printf '%s' "$sep"
            tool_json "$t"
            sep=$',\n'
        fi
    done
    printf '\n  },\n'
    printf '  "ratio_derphole_to_socat": %s,\n' "$ratio"
    if [ -n "$baseline_root" ]; then
        printf '  "baseline_root": "%s",\n' "$baseline_root"
        printf '  "ratio_derphole_to_baseline": %s,\n' "$(awk -v a="$derp_mbps" -v b="$(median derphole-base pipe 5)" \
            'BEGIN { if (a == "null" || b == "null") print "null"; else printf "%.3f", a / b }')"
    fi
    printf '  "gate": { "throughput_at_least_half_socat": %s, "rss_under_256_mib": %s, "pass": %s }\n' \
        "$throughput_ok" "$rss_ok" "$pass"
    echo "}"
} > "$json_tmp"
mv "$json_tmp" "$out_dir/decision.json"
if [ "$keep" -eq 0 ]; then
    rm -f "$input"
fi
cat "$out_dir/decision.json"
