#!/usr/bin/env bash
# Direct-path loopback benchmark (issue 4): derphole listen|pipe once it has gone direct (encrypted UDP), against
# nc over TCP and scp (AES-128-GCM) on the same loopback, in the same run. See --help.
set -euo pipefail

usage()
{
    cat <<'EOF'
Usage: perf-scripts/direct-bench.sh [options]

Moves SIZE bytes of random data (generated once per invocation into a temp file, so /dev/urandom is not
measured) over loopback, RUNS times each, rotating which tool goes first:

  derphole  bin/derphole relay --listen 127.0.0.1:0 --no-stun --map-out MAP   (rendezvous only)
            bin/derphole -v --derp-map MAP listen | HASH                    (the receiver)
            bin/derphole -v --derp-map MAP pipe TOKEN < input               (the sender)
            both with DERPHOLE_TEST_ALLOW_LOOPBACK_CANDIDATES=1, so they may go direct over 127.0.0.1.
            A run counts only if both sides print `connected-direct`.
  nc        nc -d -l 127.0.0.1 PORT | HASH                                  (the receiver, netcat-openbsd)
            nc -N 127.0.0.1 PORT < input                                     (the sender)
  scp       a private sshd on 127.0.0.1:PORT (temp host key, temp authorized key, `-D -e -f CONFIG`),
            started fresh for each run and stopped after it (the receiver), and
            scp -c aes128-gcm@openssh.com -i KEY -P PORT input USER@127.0.0.1:OUT   (the sender)
            then HASH < OUT. OpenSSH 9 scp speaks SFTP; the sshd serves it with internal-sftp.
            When sshd is missing and we are root, `apt-get install openssh-server` installs it.

HASH is `openssl dgst -sha256` (sha256sum when openssl is missing). It runs inline on the receiver's output for
derphole and nc, and after the transfer on the written file for scp; its CPU is recorded but not counted
against any tool. Every run's output hash is checked against the input's.

Per run: wall seconds from the sender's start until sender and receiver have both exited (scp: until the scp
client exits, after the server has acknowledged the last write); MB/s = SIZE / wall / 1e6 (decimal; 1 GiB is
1073.7 MB). User+sys CPU seconds and peak RSS (KiB) of each process from /usr/bin/time: derphole's include JVM
start-up; scp's include its ssh child; sshd's are the whole daemon (listener plus the connection's processes,
which it reaps before it is stopped; RSS is the largest of them). For derphole also the seconds from the
sender's start until each side printed connected-direct (t_direct, from time-stamped stderr).

Gate (decision.json): every derphole run went direct on both sides with a matching hash, median derphole MB/s
>= 1.0 x median nc MB/s and >= 3 x median scp MB/s, and every derphole process's median peak RSS < 256 MiB.

Options:
  --runs N          runs per tool (default 3; medians are reported)
  --size BYTES      bytes to move (default 1073741824 = 1 GiB)
  --only TOOLS      comma-separated subset of derphole,nc,scp (default: all three)
  --java-opts STR   DERPHOLE_JAVA_OPTS for the derphole JVMs (default: unset)
  --parallel N      pass --parallel N to derphole pipe (direct UDP lanes; default: pipe's own, auto)
  --derphole-root D run D/bin/derphole instead of this tree's (D must have been built already)
  --out DIR         results directory (default .tmp/perf/<utc>-<pid>)
  --build           rebuild the CLI jar first (it is built anyway when missing)
  --keep            keep the input file and the sshd keys (the per-run logs are always kept)
  --timeout SEC     give up on one transfer after SEC seconds (default 300)
  -h, --help        this text

Writes DIR/results.csv (one row per process per run) and DIR/decision.json (medians, ratios, gate), each
atomically (temp file + rename), plus DIR/logs/ (stderr of every process; derphole's with .ts time stamps and
its stats lines). Exit status: 0 gate passed, 1 gate failed (or the harness failed), 2 bad arguments.
Loopback only; kills only the processes it started. The machine may be shared: use the medians.
EOF
}

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$root/perf-scripts/lib/bench-common.sh"
all_tools=(derphole nc scp)
runs=3
size=1073741824
only=derphole,nc,scp
java_opts=
pipe_extra=()
derphole_root=
out_dir=
build=0
keep=0
transfer_timeout=300
# The goals of issue 4.
min_ratio_nc=1.0
min_ratio_scp=3.0
max_rss_kib=$((256 * 1024))
scp_cipher=aes128-gcm@openssh.com

while [ $# -gt 0 ]; do
    case "$1" in
        --runs) bench_need_value "$@"; runs=$2; shift 2 ;;
        --size) bench_need_value "$@"; size=$2; shift 2 ;;
        --only) bench_need_value "$@"; only=$2; shift 2 ;;
        --java-opts) bench_need_value "$@"; java_opts=$2; shift 2 ;;
        --parallel) bench_need_value "$@"; pipe_extra=(--parallel "$2"); shift 2 ;;
        --derphole-root) bench_need_value "$@"; derphole_root=$2; shift 2 ;;
        --out) bench_need_value "$@"; out_dir=$2; shift 2 ;;
        --build) build=1; shift ;;
        --keep) keep=1; shift ;;
        --timeout) bench_need_value "$@"; transfer_timeout=$2; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        *) die "unknown option $1 (see --help)" ;;
    esac
done
bench_positive_int --runs "$runs"
bench_positive_int --size "$size"
bench_positive_int --timeout "$transfer_timeout"
tools=()
IFS=, read -r -a requested <<< "$only"
for tool in "${requested[@]}"; do
    case "$tool" in
        derphole|nc|scp) [[ " ${tools[*]} " == *" $tool "* ]] || tools+=("$tool") ;;
        *) die "--only takes a comma-separated subset of derphole,nc,scp (got '$tool')" ;;
    esac
done
[ ${#tools[@]} -gt 0 ] || die "--only names no tool"
has_tool()
{
    [[ " ${tools[*]} " == *" $1 "* ]]
}

bench_require /usr/bin/time timeout ss
if has_tool nc; then bench_require nc; fi
if has_tool scp; then
    if [ ! -x /usr/sbin/sshd ] && [ "$(id -u)" = 0 ] && command -v apt-get > /dev/null; then
        echo "installing openssh-server (for the scp comparison) ..." >&2
        apt-get update -qq > /dev/null 2>&1 || true
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssh-server > /dev/null
    fi
    [ -x /usr/sbin/sshd ] || die "/usr/sbin/sshd is required for scp (apt-get install openssh-server, or --only derphole,nc)"
    bench_require scp ssh ssh-keygen
fi
bench_pick_hash

cd "$root"
utc=$(date -u +%Y%m%dT%H%M%SZ)
out_dir=${out_dir:-.tmp/perf/$utc-$$}
mkdir -p "$out_dir/logs"
out_dir=$(cd "$out_dir" && pwd)
logs=$out_dir/logs
ssh_dir=$out_dir/sshd

if [ -n "$derphole_root" ]; then
    derphole_root=$(bench_resolve_root "$derphole_root")
else
    derphole_root=$root
fi
derphole=$derphole_root/bin/derphole
bench_cleanup_hook()
{
    if [ "$keep" -eq 0 ]; then
        rm -rf "$ssh_dir"
    fi
    rm -f "$out_dir"/scp-output.bin
}
bench_install_traps
if has_tool derphole && [ "$derphole_root" = "$root" ]; then
    bench_build_if_needed "$build"
fi
# Loopback candidates are refused unless this is set (a test-only switch); only derphole reads it.
export DERPHOLE_TEST_ALLOW_LOOPBACK_CANDIDATES=1

bench_make_input "$out_dir/input.bin" "$size"
commit=$(bench_commit "$derphole_root")

csv_tmp=$out_dir/.results.csv.tmp
echo "run,tool,role,wall_s,mb_per_s,cpu_s,rss_kib,hash_ok,valid,t_direct_s" > "$csv_tmp"

# setup_sshd: a host key, a client key and an sshd_config in $ssh_dir, shared by every scp run.
setup_sshd()
{
    mkdir -p "$ssh_dir"
    chmod 700 "$ssh_dir"
    ssh-keygen -q -t ed25519 -N '' -f "$ssh_dir/host_key" < /dev/null
    ssh-keygen -q -t ed25519 -N '' -f "$ssh_dir/client_key" < /dev/null
    cp "$ssh_dir/client_key.pub" "$ssh_dir/authorized_keys"
    if [ "$(id -u)" = 0 ]; then
        # sshd refuses to start without its privilege-separation folder (normally made by the service unit).
        mkdir -p /run/sshd
    fi
    ssh_user=$(id -un)
}

# write_sshd_config PORT: the config of one run's sshd.
write_sshd_config()
{
    cat > "$ssh_dir/sshd_config" <<EOF
ListenAddress 127.0.0.1
Port $1
HostKey $ssh_dir/host_key
AuthorizedKeysFile $ssh_dir/authorized_keys
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
UseDNS no
PidFile $ssh_dir/sshd.pid
Ciphers $scp_cipher
Subsystem sftp internal-sftp
EOF
}

# run_derphole N DIR: one transfer through a fresh relay; the clients meet there and then go direct.
run_derphole()
{
    local d=$2
    bench_run_derphole "$d" "$derphole" map || return 1
    run_start=$bench_start
    run_end=$bench_end
}

# run_nc N DIR: one transfer over a TCP connection between two nc processes.
run_nc()
{
    local d=$2 port
    fresh_dir "$d"
    port=$(free_port)
    ( timeout "$transfer_timeout" "${timed[@]}" "$d/listen.time" nc -d -l 127.0.0.1 "$port" 2> "$d/listen.err" \
        | "${timed[@]}" "$d/hash.time" "${hash_cmd[@]}" > "$d/output.hash" ) &
    local listen_pid=$!
    pids+=("$listen_pid")
    wait_listening "$port" || { echo "error: nc did not listen on $port" >&2; return 1; }
    run_start=$(now)
    timeout "$transfer_timeout" "${timed[@]}" "$d/pipe.time" nc -N 127.0.0.1 "$port" < "$input" 2> "$d/pipe.err" &
    local pipe_pid=$!
    pids+=("$pipe_pid")
    local rc=0
    wait "$pipe_pid" || rc=$?
    wait "$listen_pid" || rc=$?
    run_end=$(now)
    [ "$rc" -eq 0 ] || { echo "error: nc transfer failed (exit $rc; see $d)" >&2; return 1; }
}

# run_scp N DIR: one scp upload to a fresh sshd; the daemon's /usr/bin/time numbers are the receiver's.
run_scp()
{
    local d=$2 port out=$out_dir/scp-output.bin
    fresh_dir "$d"
    port=$(free_port)
    write_sshd_config "$port"
    rm -f "$out"
    "${timed[@]}" "$d/listen.time" /usr/sbin/sshd -D -e -f "$ssh_dir/sshd_config" 2> "$d/listen.err" &
    local sshd_time_pid=$!
    pids+=("$sshd_time_pid")
    wait_listening "$port" || { echo "error: sshd did not listen on $port (see $d/listen.err)" >&2; return 1; }
    run_start=$(now)
    local rc=0
    timeout "$transfer_timeout" "${timed[@]}" "$d/pipe.time" \
        scp -q -F /dev/null -c "$scp_cipher" -i "$ssh_dir/client_key" -P "$port" -o BatchMode=yes \
        -o IdentitiesOnly=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR \
        "$input" "$ssh_user@127.0.0.1:$out" 2> "$d/pipe.err" || rc=$?
    run_end=$(now)
    # Stop the daemon only once it has reaped the connection's processes, so their CPU is in its rusage.
    local sshd_pid deadline=$((SECONDS + 10))
    sshd_pid=$(pgrep -P "$sshd_time_pid" 2> /dev/null | head -n 1 || true)
    while [ -n "$sshd_pid" ] && [ -n "$(pgrep -P "$sshd_pid" 2> /dev/null || true)" ] && [ "$SECONDS" -lt "$deadline" ]; do
        sleep 0.02
    done
    if [ -n "$sshd_pid" ]; then
        kill -TERM "$sshd_pid" 2> /dev/null || true
    fi
    wait "$sshd_time_pid" 2> /dev/null || true
    [ "$rc" -eq 0 ] || { echo "error: scp failed (exit $rc; see $d)" >&2; return 1; }
    "${timed[@]}" "$d/hash.time" "${hash_cmd[@]}" < "$out" > "$d/output.hash"
    rm -f "$out"
}

# record N TOOL DIR: CSV rows for sender (pipe), receiver (listen), the derphole relay and the hash process.
record()
{
    local n=$1 tool=$2 d=$3
    local wall mbps hash_ok valid t_pipe=null t_listen=null
    wall=$(bench_wall "$run_start" "$run_end")
    mbps=$(bench_mbps "$size" "$wall")
    hash_ok=$(bench_hash_ok "$d")
    valid=$hash_ok
    local roles=(pipe listen hash)
    if [ "$tool" = derphole ]; then
        roles=(pipe listen relay hash)
        t_pipe=$(bench_line_time "$d/pipe.err" '^connected-direct$' "$run_start")
        t_listen=$(bench_line_time "$d/listen.err" '^connected-direct$' "$run_start")
        if [ "$t_pipe" = null ] || [ "$t_listen" = null ]; then
            valid=false
        fi
    fi
    local role fields t
    for role in "${roles[@]}"; do
        fields=$(time_fields "$d/$role.time")
        case "$role" in pipe) t=$t_pipe ;; listen) t=$t_listen ;; *) t=null ;; esac
        echo "$n,$tool,$role,$wall,$mbps,$(cpu_of "$fields"),$(rss_of "$fields"),$hash_ok,$valid,$t" >> "$csv_tmp"
    done
    printf '%-8s run %d: %7.1f MB/s  wall %6.2f s  cpu pipe %s listen %s  rss KiB pipe %s listen %s  hash %s' \
        "$tool" "$n" "$mbps" "$wall" \
        "$(cpu_of "$(time_fields "$d/pipe.time")")" "$(cpu_of "$(time_fields "$d/listen.time")")" \
        "$(rss_of "$(time_fields "$d/pipe.time")")" "$(rss_of "$(time_fields "$d/listen.time")")" "$hash_ok" >&2
    if [ "$tool" = derphole ]; then
        printf '  relay cpu %s rss %s  direct after %s / %s s (pipe / listen)' \
            "$(cpu_of "$(time_fields "$d/relay.time")")" "$(rss_of "$(time_fields "$d/relay.time")")" \
            "$t_pipe" "$t_listen" >&2
    fi
    echo >&2
    if [ "$tool" = derphole ]; then
        grep -h -e '^stats ' -e '^direct-stats ' "$d/pipe.err" "$d/listen.err" | sed 's/^/         /' >&2 || true
        if [ "$valid" != true ] && [ "$hash_ok" = true ]; then
            echo "warning: derphole run $n did not go direct on both sides; it is left out of the medians" >&2
        fi
    fi
    if [ "$hash_ok" != true ]; then
        echo "warning: $tool run $n: output hash differs from the input's; left out of the medians" >&2
    fi
}

if has_tool scp; then
    setup_sshd
fi
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
echo "results in $out_dir (commit $commit, load $load_start)" >&2
for ((i = 1; i <= runs; i++)); do
    # Rotate the order every round, so no tool always runs first (or right after another).
    for ((k = 0; k < ${#tools[@]}; k++)); do
        tool=${tools[$(((k + i - 1) % ${#tools[@]}))]}
        d=$logs/$tool-$i
        if "run_$tool" "$i" "$d"; then
            record "$i" "$tool" "$d"
        else
            # A failed transfer counts as an invalid run; stop what it left behind and go on.
            echo "$i,$tool,failed,,,,,false,false,null" >> "$csv_tmp"
            for pid in "${pids[@]}"; do
                kill_tree "$pid"
            done
        fi
        pids=()
    done
done
load_end=$(cut -d' ' -f1-3 /proc/loadavg)
mv "$csv_tmp" "$out_dir/results.csv"

median_of()
{
    # median_of TOOL ROLE COLUMN: over valid runs only.
    median "$out_dir/results.csv" "$1" "$2" "$3" 9 true
}

per_gib()
{
    awk -v c="$1" -v b="$size" 'BEGIN { if (c == "null") print "null"; else printf "%.2f", c * 1073741824 / b }'
}

ratio_of()
{
    awk -v a="$1" -v b="$2" 'BEGIN { if (a == "null" || b == "null" || b == 0) print "null"; else printf "%.3f", a / b }'
}

count_runs()
{
    # count_runs TOOL VALID: runs of TOOL whose valid column is VALID.
    awk -F, -v t="$1" -v v="$2" 'NR > 1 && $2 == t && ($3 == "pipe" || $3 == "failed") && $9 == v { n++ } END { print n + 0 }' \
        "$out_dir/results.csv"
}

tool_json()
{
    local t=$1 role cpu pipe_cpu listen_cpu
    pipe_cpu=$(median_of "$t" pipe 6)
    listen_cpu=$(median_of "$t" listen 6)
    printf '    "%s": {\n' "$t"
    printf '      "valid_runs": %s,\n      "invalid_runs": %s,\n' "$(count_runs "$t" true)" "$(count_runs "$t" false)"
    printf '      "mb_per_s": %s,\n      "wall_s": %s,\n' "$(median_of "$t" pipe 5)" "$(median_of "$t" pipe 4)"
    printf '      "cpu_s_per_gib_pipe_plus_listen": %s,\n' \
        "$(per_gib "$(awk -v a="$pipe_cpu" -v b="$listen_cpu" 'BEGIN { if (a == "null") print "null"; else print a + b }')")"
    local roles=(pipe listen)
    if [ "$t" = derphole ]; then
        roles+=(relay)
        printf '      "t_direct_s": { "pipe": %s, "listen": %s },\n' "$(median_of "$t" pipe 10)" "$(median_of "$t" listen 10)"
    fi
    for role in "${roles[@]}"; do
        cpu=$(median_of "$t" "$role" 6)
        printf '      "%s": { "cpu_s": %s, "cpu_s_per_gib": %s, "rss_kib": %s },\n' \
            "$role" "$cpu" "$(per_gib "$cpu")" "$(median_of "$t" "$role" 7)"
    done
    printf '      "hash": { "cpu_s": %s }\n    }' "$(median_of "$t" hash 6)"
}

derp_mbps=$(median_of derphole pipe 5)
ratio_nc=$(ratio_of "$derp_mbps" "$(median_of nc pipe 5)")
ratio_scp=$(ratio_of "$derp_mbps" "$(median_of scp pipe 5)")
at_least()
{
    awk -v r="$1" -v m="$2" 'BEGIN { if (r == "null") print "null"; else print (r >= m) ? "true" : "false" }'
}
nc_ok=$(at_least "$ratio_nc" "$min_ratio_nc")
scp_ok=$(at_least "$ratio_scp" "$min_ratio_scp")
direct_ok=null
rss_ok=null
if has_tool derphole; then
    direct_ok=false
    if [ "$(count_runs derphole false)" -eq 0 ] && [ "$(count_runs derphole true)" -eq "$runs" ]; then
        direct_ok=true
    fi
fi
if [ "$derp_mbps" != null ]; then
    rss_ok=true
    for role in pipe listen relay; do
        if [ "$(median_of derphole "$role" 7)" -ge "$max_rss_kib" ]; then rss_ok=false; fi
    done
fi
pass=false
if [ "$direct_ok" = true ] && [ "$nc_ok" = true ] && [ "$scp_ok" = true ] && [ "$rss_ok" = true ]; then pass=true; fi

{
    echo "{"
    printf '  "date_utc": "%s",\n  "commit": "%s",\n  "size_bytes": %s,\n  "runs": %s,\n' "$utc" "$commit" "$size" "$runs"
    printf '  "machine": "%s",\n' "$(bench_machine)"
    printf '  "load_avg_start": "%s",\n  "load_avg_end": "%s",\n' "$load_start" "$load_end"
    printf '  "derphole_java_opts": "%s",\n' "$java_opts"
    printf '  "derphole_pipe_args": "%s",\n' "${pipe_extra[*]}"
    if has_tool scp; then
        printf '  "scp": "%s, cipher %s",\n' "$(ssh -V 2>&1)" "$scp_cipher"
    fi
    printf '  "mb_definition": "size / wall / 1e6",\n  "hash": "%s",\n' "${hash_cmd[*]}"
    printf '  "medians_over": "valid runs (hash matches; derphole: both sides connected-direct)",\n'
    printf '  "medians": {\n'
    sep=
    for t in "${all_tools[@]}"; do
        if has_tool "$t"; then
            printf '%s' "$sep"
            tool_json "$t"
            sep=$',\n'
        fi
    done
    printf '\n  },\n'
    printf '  "ratio_derphole_to_nc": %s,\n  "ratio_derphole_to_scp": %s,\n' "$ratio_nc" "$ratio_scp"
    printf '  "gate": { "all_derphole_runs_direct_and_verified": %s, "throughput_at_least_%s_nc": %s,\n' \
        "$direct_ok" "$min_ratio_nc" "$nc_ok"
    printf '            "throughput_at_least_%s_scp": %s, "rss_under_256_mib": %s, "pass": %s }\n' \
        "$min_ratio_scp" "$scp_ok" "$rss_ok" "$pass"
    echo "}"
} | bench_write_atomic "$out_dir/decision.json"
cat "$out_dir/decision.json"
[ "$pass" = true ]
