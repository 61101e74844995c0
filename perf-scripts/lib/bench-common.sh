# Shell functions shared by the loopback transfer benchmarks (transfer-bench.sh, direct-bench.sh).
# Sourced, not run. The caller sets `set -euo pipefail` first and owns these globals:
#   root             the repository root (the scripts' parent folder)
#   keep             1 to keep the input file at exit
#   transfer_timeout seconds before one transfer is given up
#   java_opts        DERPHOLE_JAVA_OPTS for the derphole JVMs (may be empty)
# and gets these from the library:
#   pids             every process started (the EXIT trap kills exactly these, never anything by name)
#   hash_cmd         the SHA-256 command (array), reading stdin
#   input            the input file (after bench_make_input), input_hash its SHA-256
#   bench_start, bench_end   epoch seconds around the last transfer (bench_run_derphole)

# C numbers: $EPOCHREALTIME, printf and awk must all use a decimal point.
export LC_ALL=C

pids=()
input=
input_hash=

# die MESSAGE: print to stderr and exit 2 (bad arguments or missing tools).
die()
{
    echo "error: $*" >&2
    exit 2
}

# bench_need_value "$@": exit 2 unless the option in $1 has a value after it.
bench_need_value()
{
    [ $# -ge 2 ] || die "$1 needs a value (see --help)"
}

# bench_positive_int NAME VALUE: exit 2 unless VALUE is a positive integer.
bench_positive_int()
{
    [[ "$2" =~ ^[1-9][0-9]*$ ]] || die "$1 must be a positive integer (got '$2')"
}

# bench_require TOOL...: exit 2 unless every TOOL is on the PATH.
bench_require()
{
    local tool
    for tool in "$@"; do
        command -v "$tool" > /dev/null || die "$tool is required (apt-get install socat time iproute2 netcat-openbsd)"
    done
}

# Sets hash_cmd: openssl when present (faster), else sha256sum. Both print the hex digest first.
bench_pick_hash()
{
    if command -v openssl > /dev/null; then
        hash_cmd=(openssl dgst -sha256 -r)
    else
        hash_cmd=(sha256sum)
    fi
}

kill_tree()
{
    # Children first, so a JVM under /usr/bin/time or timeout does not outlive its parent.
    local child
    for child in $(pgrep -P "$1" 2> /dev/null || true); do
        kill_tree "$child"
    done
    kill "$1" 2> /dev/null || true
}

# The EXIT trap: kills what we started, then calls bench_cleanup_hook when the script defines one.
bench_cleanup()
{
    local pid
    for pid in "${pids[@]}"; do
        kill_tree "$pid"
    done
    if declare -F bench_cleanup_hook > /dev/null; then
        bench_cleanup_hook
    fi
    if [ "$keep" -eq 0 ] && [ -n "$input" ]; then
        rm -f "$input"
    fi
}

bench_install_traps()
{
    trap bench_cleanup EXIT
    trap 'exit 130' INT TERM
}

# bench_resolve_root DIR: prints DIR's absolute path; exit 2 unless DIR has a built CLI jar.
bench_resolve_root()
{
    local dir
    dir=$(cd "$1" && pwd) || die "no folder $1"
    [ -f "$dir/cli/target/derphole.jar" ] || die "$dir has no built cli/target/derphole.jar"
    echo "$dir"
}

# bench_build_if_needed FORCE: builds the CLI jar of $root when FORCE is 1 or the jar is missing.
bench_build_if_needed()
{
    local jar=$root/cli/target/derphole.jar
    if [ "$1" -eq 1 ] || [ ! -f "$jar" ]; then
        echo "building $jar ..." >&2
        (cd "$root" && bin/mvn -q -B -DskipTests install >&2)
    fi
}

# bench_make_input FILE SIZE: SIZE random bytes into FILE (once, so /dev/urandom is not measured).
bench_make_input()
{
    input=$1
    echo "generating $2 random bytes into $input ..." >&2
    head -c "$2" /dev/urandom > "$input"
    input_hash=$("${hash_cmd[@]}" < "$input" | cut -d' ' -f1)
}

# bench_commit [DERPHOLE_ROOT]: the short commit of $root, "+dirty" when tracked files changed.
bench_commit()
{
    local commit
    commit=$(git -C "$root" rev-parse --short=12 HEAD 2> /dev/null || echo unknown)
    if [ -n "$(git -C "$root" status --porcelain --untracked-files=no 2> /dev/null)" ]; then
        commit="$commit+dirty"
    fi
    if [ -n "${1:-}" ] && [ "$1" != "$root" ]; then
        commit="$commit (derphole from $1)"
    fi
    echo "$commit"
}

bench_machine()
{
    local java_version
    java_version=$( (. "$root/bin/lib/jdk25.sh" && derphole_find_jdk25 && "$JAVA_HOME/bin/java" -version 2>&1 \
        | head -n 1 | tr -d '"') || echo unknown)
    echo "$(nproc) vCPU, $(uname -r), $java_version"
}

# bench_write_atomic FILE: stdin into FILE through a temp file and a rename, so readers never see half a file.
bench_write_atomic()
{
    local tmp
    tmp="$(dirname "$1")/.$(basename "$1").tmp"
    cat > "$tmp"
    mv "$tmp" "$1"
}

# "elapsed user sys maxrss" from a /usr/bin/time -o file (its last line; a killed process adds a first line).
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

# "${timed[@]}" FILE CMD...: CMD under /usr/bin/time, "elapsed user sys maxrss" into FILE. An array, not a
# function, so that `timeout` can run it.
timed=(/usr/bin/time -f '%e %U %S %M' -o)

# fresh_dir DIR: DIR, emptied. A run must not see an earlier run's files: with the same --out, wait_for_line
# found the old listener's token before the new listener's output replaced it, and the sender got an empty
# token (direct-bench's intermittent "malformed token: empty", then a listener waiting 300 s for its claim).
fresh_dir()
{
    rm -rf -- "$1"
    mkdir -p -- "$1"
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
    # A port in 20000..59999 nobody listens on now (the listener fails loudly if it is taken meanwhile).
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
    echo "$EPOCHREALTIME"
}

# stamp FILE: copies stdin to FILE line by line, and to FILE.ts with the arrival time (epoch seconds) in front.
# Runs in a process substitution on a derphole's stderr: builtins only, so it costs nothing per line but the copy.
stamp()
{
    local line
    while IFS= read -r line || [ -n "$line" ]; do
        printf '%s\n' "$line" >&3
        printf '%s %s\n' "$EPOCHREALTIME" "$line" >&4
    done 3> "$1" 4> "$1.ts"
}

# bench_stamped_done FILE: waits (up to 2 s) until stamp has copied every line of FILE, i.e. FILE.ts caught up
# after its writer exited.
bench_stamped_done()
{
    local i
    for ((i = 0; i < 100; i++)); do
        if [ -f "$1.ts" ] && [ "$(wc -l < "$1")" -eq "$(wc -l < "$1.ts")" ]; then
            return 0
        fi
        sleep 0.02
    done
    return 0
}

# bench_line_time FILE REGEX START: seconds from START until the first FILE.ts line matching REGEX, or "null".
bench_line_time()
{
    local t
    t=$(awk -v re="$2" '{ s = $1; $1 = ""; sub(/^ /, ""); if ($0 ~ re) { print s; exit } }' "$1.ts" 2> /dev/null)
    if [ -z "$t" ]; then
        echo null
    else
        awk -v s="$3" -v t="$t" 'BEGIN { printf "%.3f", t - s }'
    fi
}

# bench_run_derphole DIR LAUNCHER RELAY_MODE [RELAY_ARG...]: one listen|pipe of $input through a fresh
# `derphole relay` on 127.0.0.1. RELAY_MODE "url" hands the clients --derp-url and --force-relay (relay only),
# "map" hands them the relay's --map-out file as --derp-map (direct allowed). Leaves DIR/{relay,listen,pipe,hash}.time, listen.err(.ts), pipe.err(.ts),
# output.hash, and sets bench_start / bench_end (sender start; sender and receiver both exited). The array
# pipe_extra (may be unset) holds extra pipe arguments, e.g. --parallel 4.
bench_run_derphole()
{
    [ -n "${pipe_extra+x}" ] || pipe_extra=()
    local d=$1 derphole=$2 mode=$3
    shift 3
    fresh_dir "$d"
    local relay_args=(relay --listen 127.0.0.1:0 --no-stun "$@")
    if [ "$mode" = map ]; then
        relay_args+=(--map-out "$d/derp-map.json")
    fi
    DERPHOLE_JAVA_OPTS=$java_opts "${timed[@]}" "$d/relay.time" "$derphole" "${relay_args[@]}" \
        > "$d/relay.out" 2> "$d/relay.err" &
    local relay_time_pid=$!
    pids+=("$relay_time_pid")
    # The relay writes its map file before it prints derp-url.
    wait_for_line "$d/relay.out" '^derp-url ' 30 || wait_for_line "$d/relay.err" '^derp-url ' 1 \
        || { echo "error: relay printed no derp-url (see $d)" >&2; return 1; }
    local client_args
    if [ "$mode" = map ]; then
        client_args=(--derp-map "$d/derp-map.json")
    else
        client_args=(--derp-url "$(cat "$d/relay.out" "$d/relay.err" | sed -n 's/^derp-url \([^ ]*\).*/\1/p' | head -n 1)")
    fi
    # The relay benchmark stays on the relay: without --force-relay the clients would go direct over the
    # machine's own interface address.
    local mode_args=()
    if [ "$mode" = url ]; then
        mode_args=(--force-relay)
    fi

    ( DERPHOLE_JAVA_OPTS=$java_opts timeout "$transfer_timeout" "${timed[@]}" "$d/listen.time" \
        "$derphole" -v "${client_args[@]}" listen "${mode_args[@]}" 2> >(stamp "$d/listen.err") \
        | "${timed[@]}" "$d/hash.time" "${hash_cmd[@]}" > "$d/output.hash" ) &
    local listen_pid=$!
    pids+=("$listen_pid")
    wait_for_line "$d/listen.err" '^[A-Za-z0-9_-]{40,}$' 30 \
        || { echo "error: listen printed no token (see $d)" >&2; return 1; }
    local token
    token=$(grep -E '^[A-Za-z0-9_-]{40,}$' "$d/listen.err" | head -n 1)

    bench_start=$(now)
    DERPHOLE_JAVA_OPTS=$java_opts timeout "$transfer_timeout" "${timed[@]}" "$d/pipe.time" \
        "$derphole" -v "${client_args[@]}" pipe "${mode_args[@]}" "${pipe_extra[@]}" "$token" < "$input" \
        2> >(stamp "$d/pipe.err") &
    local pipe_pid=$!
    pids+=("$pipe_pid")
    local rc=0
    wait "$pipe_pid" || rc=$?
    wait "$listen_pid" || rc=$?
    bench_end=$(now)
    # Stop the relay: SIGTERM to the JVM (the child of /usr/bin/time), which then writes its numbers.
    local relay_jvm
    for relay_jvm in $(pgrep -P "$relay_time_pid" 2> /dev/null || true); do
        kill -TERM "$relay_jvm" 2> /dev/null || true
    done
    wait "$relay_time_pid" 2> /dev/null || true
    bench_stamped_done "$d/listen.err"
    bench_stamped_done "$d/pipe.err"
    if [ "$rc" -ne 0 ]; then
        echo "error: derphole transfer failed (exit $rc; see $d)" >&2
        return 1
    fi
}

# bench_wall START END and bench_mbps SIZE WALL: the run's wall seconds and decimal MB/s.
bench_wall()
{
    awk -v s="$1" -v e="$2" 'BEGIN { printf "%.3f", e - s }'
}

bench_mbps()
{
    awk -v b="$1" -v w="$2" 'BEGIN { printf "%.1f", b / w / 1e6 }'
}

# bench_hash_ok DIR: "true" when DIR/output.hash holds the input's SHA-256, else "false".
bench_hash_ok()
{
    if [ "$(cut -d' ' -f1 < "$1/output.hash")" = "$input_hash" ]; then
        echo true
    else
        echo false
    fi
}

# median CSV TOOL ROLE COLUMN [FILTER_COLUMN FILTER_VALUE]: the median of COLUMN over CSV rows (header skipped)
# of TOOL and ROLE, or "null" without rows; even counts average the two middles.
median()
{
    awk -F, -v t="$2" -v r="$3" -v c="$4" -v fc="${5:-0}" -v fv="${6:-}" \
        'NR > 1 && $2 == t && $3 == r && (fc == 0 || $fc == fv) { print $c }' "$1" \
        | sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) { print "null" } else if (NR % 2) { print v[(NR + 1) / 2] }
            else { printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 } }'
}
