#!/usr/bin/env bash
# WAN benchmark in the namespace NAT lab (issue 5): derphole listen|pipe going direct across two easy NATs, next
# to TCP (CUBIC and BBR) through a socat forwarder on the relay's host, all over the same emulated 200 Mbit/s,
# 40 ms RTT link with 0/1/3 % random loss. See --help.
set -euo pipefail

usage()
{
    cat <<'EOF'
Usage: perf-scripts/wan-bench.sh [options]        (as root: it builds network namespaces)

For each loss level L in --loss, brings up ONE lab instance (`perf-scripts/lab/lab.sh up easy-easy-wan
wan_a_loss=L`), runs RUNS rounds of every tool in it (the order rotates each round), then `lab.sh down`.
SIZE bytes of random data are generated once (so /dev/urandom is not measured) and sent from host b to host a:

  derphole  pub: bin/derphole relay --listen 203.0.113.10:8080        (DERP + STUN; fresh for each run)
            a:   bin/derphole -v --derp-url=http://203.0.113.10:8080 listen | SINK     (the receiver)
            b:   bin/derphole -v pipe TOKEN < input                                   (the sender)
            A run counts as direct only if both sides print `connected-direct`.
  tcp-cubic pub: socat TCP-LISTEN:R TCP-LISTEN:S        (the forwarder: joins two listeners)
  tcp-bbr   a:   socat -u TCP:203.0.113.10:R STDOUT | SINK                            (the receiver)
            b:   socat -u STDIN TCP:203.0.113.10:S < input                            (the sender)
            every socket (listeners, so the accepted ones too, and both clients) gets the congestion control
            per connection with setsockopt TCP_CONGESTION (socat setsockopt-string=6:13:ALGO); it is checked
            on the forwarder's sending socket with `ss -ti` during the transfer. (A namespace's default
            `net.ipv4.tcp_congestion_control` cannot be set to cubic there: outside the initial namespace only
            algorithms in tcp_allowed_congestion_control may be the default; the socket option needs
            CAP_NET_ADMIN only.)

SINK is `tee >(HASH) | wc -c` (HASH = openssl dgst -sha256, or sha256sum): it counts and hashes what arrived.

The emulated link: wanem carries router A's uplink (ra <-> pub): 200 Mbit/s of IP bytes each way behind a
1 MB tail-drop queue, 20 ms each way, L % random loss each way. B's uplink (rb <-> pub) is a plain veth.
Both tools therefore cross the emulated link exactly once each way: derphole's data b -> rb -> pub -> ra -> a
(direct UDP, and before that the relayed TCP leg relay -> a), its acks the reverse; TCP's leg 1 (b -> forwarder
in pub) is unshaped and lossless, leg 2 (forwarder -> a, data out through wanem, acks back through it) is the
emulated link, and the forwarder's socket on that leg is the one whose congestion control matters.

Per run: wall seconds from the sender's start until sender and receiver have both exited; MB/s = bytes
delivered / wall / 1e6 (decimal MB of the payload, i.e. the file: no IP, UDP/TCP, DERP or AEAD overhead is
counted, and derphole's wall includes JVM start-up, claim and the relay phase); link % = MB/s / 25 (200 Mbit/s
of IP bytes = 25 MB/s, so 100 % is not reachable with payload bytes: TCP tops out near 96.5 %).
Retransmission %: derphole's sender `stats ... retransmitted=` (retransmitted / payload bytes sent); TCP's is
bytes_retrans / bytes_sent of the forwarder's socket toward a (tcp_info via `ss -ti`, sampled every 0.25 s,
last sample). t_direct: seconds from a side's `connected-relay` (its first relayed byte follows at once) to its
`connected-direct`, from time-stamped stderr. derphole only: ttfb = seconds from the sender's start to the
receiver's `connected-relay` (JVM start-up, relay connections and the claim: the time before the first byte can
arrive), and "after first byte" = bytes / (wall - ttfb) as % of the link, the rate once data flows (it still
includes the relay phase and the rate controller's start-up). The link %, from the wall, is the headline figure.
Link use (every tool, on stderr and in DIR/logs/<run>/link.txt): the emulated link's own counters towards a,
read by SIGUSR1 just before the sender starts and just after both ended: IP bytes it carried as % of what the wall
allowed, and the time it stood idle in gaps under 1 s (with the number of gaps of 1 ms or more), i.e. where the
wall went that the link did not carry data.

Time cap: a transfer still running after --cap seconds is stopped and counted as capped; its MB/s is what
arrived by then over the elapsed time, and its prefix is verified instead: SHA-256 of the received bytes
against SHA-256 of the same number of leading input bytes. Every run is verified that way (complete runs
against the whole input's hash). CUBIC at 1 % loss on this link moves about 0.4 MB/s, so without the cap one
256 MiB run would take about 11 minutes.

Goals (decision.json, issue 5): derphole >= 95 % of the link at 1 % and 3 % loss; derphole's median MB/s
never below tcp-bbr's at the same loss; every derphole run direct with t_direct < 1 s on the sender.

Environment: DHLAB_PREFIX / DHLAB_STATE_DIR choose the lab's names (default: wb<pid>, /run/<prefix>), so a
caller running labs of its own can keep them apart.

Options:
  --runs N          rounds per loss level (default 2; medians are reported)
  --size BYTES      bytes to move (default 268435456 = 256 MiB; 1073741824 = 1 GiB works too)
  --loss LIST       comma-separated loss percentages (default 0,1,3)
  --only TOOLS      comma-separated subset of derphole,tcp-cubic,tcp-bbr (default: all three)
  --cap SEC         stop a transfer after SEC seconds and count what arrived (default 60)
  --java-opts STR   DERPHOLE_JAVA_OPTS for the derphole JVMs (default: unset)
  --out DIR         results directory (default .tmp/perf/<utc>-wan-<pid>)
  --build           rebuild the CLI jar first (it is built anyway when missing)
  --keep            keep the input file
  -h, --help        this text

Writes DIR/results.csv (one row per run) and DIR/decision.json (medians and goals), each atomically (temp file
+ rename), plus DIR/logs/. Exit status: 0 all goals passed, 1 a goal failed or the harness failed, 2 bad
arguments. Kills only the processes it started; `lab.sh down` (its own DHLAB_PREFIX) always runs on exit.
EOF
}

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$root/perf-scripts/lib/bench-common.sh"
all_tools=(derphole tcp-cubic tcp-bbr)
runs=2
size=268435456
loss_list=0,1,3
only=derphole,tcp-cubic,tcp-bbr
cap=60
java_opts=
out_dir=
build=0
keep=0
# The link of the easy-easy-wan scenario, and the goals of issue 5.
scenario=easy-easy-wan
link_mbit=200
goal_link_pct=95
goal_t_direct_s=1.0
relay_port=8080

while [ $# -gt 0 ]; do
    case "$1" in
        --runs) bench_need_value "$@"; runs=$2; shift 2 ;;
        --size) bench_need_value "$@"; size=$2; shift 2 ;;
        --loss) bench_need_value "$@"; loss_list=$2; shift 2 ;;
        --only) bench_need_value "$@"; only=$2; shift 2 ;;
        --cap) bench_need_value "$@"; cap=$2; shift 2 ;;
        --java-opts) bench_need_value "$@"; java_opts=$2; shift 2 ;;
        --out) bench_need_value "$@"; out_dir=$2; shift 2 ;;
        --build) build=1; shift ;;
        --keep) keep=1; shift ;;
        -h|--help) usage; exit 0 ;;
        *) die "unknown option $1 (see --help)" ;;
    esac
done
bench_positive_int --runs "$runs"
bench_positive_int --size "$size"
bench_positive_int --cap "$cap"
IFS=, read -r -a losses <<< "$loss_list"
[ ${#losses[@]} -gt 0 ] || die "--loss names no level"
for l in "${losses[@]}"; do
    [[ "$l" =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "--loss takes comma-separated percentages (got '$l')"
done
tools=()
IFS=, read -r -a requested <<< "$only"
for tool in "${requested[@]}"; do
    case "$tool" in
        derphole|tcp-cubic|tcp-bbr) [[ " ${tools[*]} " == *" $tool "* ]] || tools+=("$tool") ;;
        *) die "--only takes a comma-separated subset of derphole,tcp-cubic,tcp-bbr (got '$tool')" ;;
    esac
done
[ ${#tools[@]} -gt 0 ] || die "--only names no tool"
has_tool()
{
    [[ " ${tools[*]} " == *" $1 "* ]]
}

[ "$(id -u)" = 0 ] || die "the lab needs root (network namespaces)"
bench_require socat ip ss tee wc timeout
bench_pick_hash
if has_tool tcp-bbr && ! grep -qw bbr /proc/sys/net/ipv4/tcp_available_congestion_control; then
    echo "warning: this kernel offers no BBR (tcp_available_congestion_control:" \
        "$(cat /proc/sys/net/ipv4/tcp_available_congestion_control)); tcp-bbr is left out" >&2
    tools=("${tools[@]/tcp-bbr/}")
fi

lab=$root/perf-scripts/lab/lab.sh
# A caller-chosen prefix (another lab may run at the same time) wins; otherwise one per invocation.
export DHLAB_PREFIX=${DHLAB_PREFIX:-wb$(($$ % 100000))}
export DHLAB_STATE_DIR=${DHLAB_STATE_DIR:-/run/$DHLAB_PREFIX}
lab_up=0

cd "$root"
utc=$(date -u +%Y%m%dT%H%M%SZ)
out_dir=${out_dir:-.tmp/perf/$utc-wan-$$}
mkdir -p "$out_dir/logs"
out_dir=$(cd "$out_dir" && pwd)
logs=$out_dir/logs
derphole=$root/bin/derphole

bench_cleanup_hook()
{
    if [ "$lab_up" -eq 1 ]; then
        "$lab" down > /dev/null 2>&1 || echo "warning: lab.sh down failed (prefix $DHLAB_PREFIX)" >&2
    fi
}
bench_install_traps
if has_tool derphole; then
    bench_build_if_needed "$build"
fi
bench_make_input "$out_dir/input.bin" "$size"
commit=$(bench_commit)

csv_tmp=$out_dir/.results.csv.tmp
echo "loss_pct,run,tool,bytes,completed,wall_s,mb_per_s,link_pct,hash_ok,retrans_pct,t_direct_pipe_s,t_direct_listen_s,direct,cc,ttfb_s,link_pct_after_first_byte" \
    > "$csv_tmp"

# in HOST CMD...: CMD inside the lab host's namespace (relay = pub, a, b).
in_ns()
{
    local ns
    case "$1" in
        relay) ns=$LAB_NS_RELAY ;;
        a) ns=$LAB_NS_A ;;
        b) ns=$LAB_NS_B ;;
        *) die "no lab host $1" ;;
    esac
    shift
    ip netns exec "$ns" "$@"
}

# start_sink DIR HOST CMD...: runs CMD in HOST with stdout into DIR/output.{bytes,hash}; CMD's own pid goes to
# DIR/recv.pid (so a capped run can stop just the receiver and still get the count). Sets sink_pid.
start_sink()
{
    local d=$1 host=$2
    shift 2
    rm -f "$d/output.bytes" "$d/output.hash" "$d/recv.pid"
    ( in_ns "$host" sh -c 'echo $$ > "$0"; exec "$@"' "$d/recv.pid" "$@" \
        | tee >("${hash_cmd[@]}" > "$d/output.hash") | wc -c > "$d/output.bytes" ) &
    sink_pid=$!
    pids+=("$sink_pid")
}

# finish_sink DIR: waits (up to 10 s) until the hash process wrote DIR/output.hash.
finish_sink()
{
    local i
    for ((i = 0; i < 500; i++)); do
        if [ -s "$1/output.hash" ]; then
            return 0
        fi
        sleep 0.02
    done
    return 1
}

# stop_receiver DIR: a capped run: stops the receiver process (and its children), so the sink sees EOF.
stop_receiver()
{
    local pid
    pid=$(cat "$1/recv.pid" 2> /dev/null || true)
    if [ -n "$pid" ]; then
        kill_tree "$pid"
    fi
}

# run_derphole DIR: one listen (a) | pipe (b) through a fresh relay in pub.
run_derphole()
{
    local d=$1
    fresh_dir "$d"
    DERPHOLE_JAVA_OPTS=$java_opts in_ns relay timeout $((cap + 120)) "$derphole" relay \
        --listen "$LAB_RELAY_IP:$relay_port" > "$d/relay.out" 2> "$d/relay.err" &
    local relay_pid=$!
    pids+=("$relay_pid")
    wait_for_line "$d/relay.out" '^derp-url ' 30 || wait_for_line "$d/relay.err" '^derp-url ' 1 \
        || { echo "error: relay printed no derp-url (see $d)" >&2; return 1; }
    DERPHOLE_JAVA_OPTS=$java_opts start_sink "$d" a "$derphole" -v --derp-url="http://$LAB_RELAY_IP:$relay_port" \
        listen 2> >(stamp "$d/listen.err")
    wait_for_line "$d/listen.err" '^[A-Za-z0-9_-]{40,}$' 30 \
        || { echo "error: listen printed no token (see $d)" >&2; return 1; }
    local token
    token=$(grep -E '^[A-Za-z0-9_-]{40,}$' "$d/listen.err" | head -n 1)
    link_start=$(wanem_counters)
    run_start=$(now)
    local rc=0
    DERPHOLE_JAVA_OPTS=$java_opts in_ns b timeout "$cap" "$derphole" -v pipe "$token" < "$input" \
        2> >(stamp "$d/pipe.err") || rc=$?
    capped=0
    if [ "$rc" -eq 124 ]; then
        capped=1
        stop_receiver "$d"
    fi
    wait "$sink_pid" || true
    run_end=$(now)
    link_end=$(wanem_counters)
    # $relay_pid is the subshell around ip netns exec / timeout / the JVM: SIGTERM reaches the JVM through
    # kill_tree; the next run needs the port, so wait until nothing listens on it.
    kill_tree "$relay_pid"
    wait "$relay_pid" 2> /dev/null || true
    wait_port_free relay "$relay_port" || echo "warning: the relay still holds $relay_port (see $d)" >&2
    bench_stamped_done "$d/listen.err"
    bench_stamped_done "$d/pipe.err"
    finish_sink "$d" || { echo "error: no output hash (see $d)" >&2; return 1; }
    if [ "$capped" -eq 0 ] && [ "$rc" -ne 0 ]; then
        echo "error: derphole pipe failed (exit $rc; see $d)" >&2
        return 1
    fi
    retrans=$(sed -n 's/^stats .* retransmitted=\([0-9.]*\)%.*/\1/p' "$d/pipe.err" | head -n 1)
    retrans=${retrans:-null}
    t_pipe=$(relay_to_direct "$d/pipe.err")
    t_listen=$(relay_to_direct "$d/listen.err")
    # The receiver's connected-relay: the sender's JVM started, claimed, and the first relayed byte follows.
    ttfb=$(bench_line_time "$d/listen.err" '^connected-relay$' "$run_start")
    direct=false
    if grep -qx connected-direct "$d/pipe.err" && grep -qx connected-direct "$d/listen.err"; then
        direct=true
    fi
    cc=
}

# relay_to_direct FILE: seconds from FILE's first connected-relay to its first connected-direct, or null.
relay_to_direct()
{
    local t0
    t0=$(awk '$2 == "connected-relay" && NF == 2 { print $1; exit }' "$1.ts" 2> /dev/null)
    if [ -z "$t0" ]; then
        echo null
    else
        bench_line_time "$1" '^connected-direct$' "$t0"
    fi
}

# run_tcp DIR ALGO: one transfer b -> socat forwarder in pub -> a, every socket with congestion control ALGO.
run_tcp()
{
    local d=$1 algo=$2
    fresh_dir "$d"
    local opt=setsockopt-string=6:13:$algo recv_port=$((relay_port + 1)) send_port=$((relay_port + 2))
    in_ns relay timeout $((cap + 120)) socat \
        TCP-LISTEN:"$recv_port",bind="$LAB_RELAY_IP",reuseaddr,"$opt" \
        TCP-LISTEN:"$send_port",bind="$LAB_RELAY_IP",reuseaddr,"$opt" 2> "$d/forwarder.err" &
    local fwd_pid=$!
    pids+=("$fwd_pid")
    wait_listening_in relay "$recv_port" || { echo "error: forwarder did not listen (see $d)" >&2; return 1; }
    start_sink "$d" a socat -u TCP:"$LAB_RELAY_IP:$recv_port,$opt" STDOUT 2> "$d/listen.err"
    wait_listening_in relay "$send_port" || { echo "error: forwarder did not take the receiver (see $d)" >&2; return 1; }
    # tcp_info of the forwarder's socket toward a, every 0.25 s; the last sample is kept.
    ( while :; do
        in_ns relay ss -tinH state established "( sport = :$recv_port )" > "$d/ss.tmp" 2> /dev/null || true
        if grep -q bytes_sent "$d/ss.tmp"; then
            mv "$d/ss.tmp" "$d/ss.last"
        fi
        sleep 0.25
    done ) &
    local ss_pid=$!
    pids+=("$ss_pid")
    link_start=$(wanem_counters)
    run_start=$(now)
    local rc=0
    in_ns b timeout "$cap" socat -u STDIN TCP:"$LAB_RELAY_IP:$send_port,$opt" < "$input" 2> "$d/pipe.err" || rc=$?
    capped=0
    if [ "$rc" -eq 124 ]; then
        capped=1
        stop_receiver "$d"
    fi
    wait "$sink_pid" || true
    run_end=$(now)
    link_end=$(wanem_counters)
    kill_tree "$ss_pid"
    kill_tree "$fwd_pid"
    wait "$fwd_pid" 2> /dev/null || true
    finish_sink "$d" || { echo "error: no output hash (see $d)" >&2; return 1; }
    if [ "$capped" -eq 0 ] && [ "$rc" -ne 0 ]; then
        echo "error: socat sender failed (exit $rc; see $d)" >&2
        return 1
    fi
    retrans=$(tr ' ' '\n' < "$d/ss.last" 2> /dev/null | awk -F: '$1 == "bytes_sent" { s = $2 } $1 == "bytes_retrans" { r = $2 }
        END { if (s > 0) printf "%.2f", 100 * r / s; else print "null" }')
    retrans=${retrans:-null}
    cc=$(grep -owE 'cubic|bbr|reno' "$d/ss.last" 2> /dev/null | head -n 1 || true)
    cc=${cc:-unknown}
    t_pipe=null
    t_listen=null
    direct=null
    ttfb=null
}

run_tcp-cubic()
{
    run_tcp "$1" cubic
}

run_tcp-bbr()
{
    run_tcp "$1" bbr
}

# wait_listening_in HOST PORT: true once something in HOST listens on TCP PORT (10 s).
wait_listening_in()
{
    local deadline=$((SECONDS + 10))
    while [ "$SECONDS" -lt "$deadline" ]; do
        if in_ns "$1" ss -Htln "sport = :$2" | grep -q .; then
            return 0
        fi
        sleep 0.02
    done
    return 1
}

# wait_port_free HOST PORT: true once nothing in HOST listens on TCP PORT (15 s).
wait_port_free()
{
    local deadline=$((SECONDS + 15))
    while [ "$SECONDS" -lt "$deadline" ]; do
        if ! in_ns "$1" ss -Htln "sport = :$2" | grep -q .; then
            return 0
        fi
        sleep 0.05
    done
    return 1
}

# verify DIR: "true" when DIR/output.hash matches the input (the whole, or the received prefix of a capped run).
verify()
{
    local d=$1 got bytes want
    got=$(cut -d' ' -f1 < "$d/output.hash")
    bytes=$(tr -d ' ' < "$d/output.bytes")
    if [ "$bytes" -eq "$size" ]; then
        want=$input_hash
    else
        want=$(head -c "$bytes" "$input" | "${hash_cmd[@]}" | cut -d' ' -f1)
    fi
    if [ "$got" = "$want" ]; then echo true; else echo false; fi
}

# wanem_counters: "tx_bytes idle_us idle_gaps_1ms" of the emulated link towards a (wanem-a's direction ba,
# pub -> a's router: the data's way), read from the counters wanem prints on SIGUSR1; "" when there are none.
wanem_counters()
{
    local pidfile=$DHLAB_STATE_DIR/wanem-a.pid log=$DHLAB_STATE_DIR/wanem-a.log before after i
    [ -f "$pidfile" ] || return 0
    before=$(grep -c 'wanem stats ba:' "$log" 2> /dev/null || true)
    kill -USR1 "$(cat "$pidfile")" 2> /dev/null || return 0
    for ((i = 0; i < 50; i++)); do
        after=$(grep -c 'wanem stats ba:' "$log" 2> /dev/null || true)
        [ "${after:-0}" -gt "${before:-0}" ] && break
        sleep 0.01
    done
    grep 'wanem stats ba:' "$log" | tail -n 1 \
        | sed -n 's/.* tx_bytes=\([0-9]*\) .* idle_us=\([0-9]*\) idle_gaps_1ms=\([0-9]*\) .*/\1 \2 \3/p'
}

# link_use START END WALL: "link busy P % of the wall, idle I ms in G gaps >= 1 ms" from two wanem_counters.
link_use()
{
    [ -n "$1" ] && [ -n "$2" ] || return 0
    awk -v s="$1" -v e="$2" -v w="$3" -v r="$link_mbit" 'BEGIN { split(s, a, " "); split(e, b, " ")
        printf "link busy %.2f %% of the wall, idle %.1f ms in %d gaps >= 1 ms", 100 * (b[1] - a[1]) * 8 / (r * 1e6) / w,
            (b[2] - a[2]) / 1000, b[3] - a[3] }'
}

# record LOSS N TOOL DIR: one CSV row and one line on stderr.
record()
{
    local loss=$1 n=$2 tool=$3 d=$4
    local bytes wall mbps link hash_ok completed=true
    bytes=$(tr -d ' ' < "$d/output.bytes")
    wall=$(bench_wall "$run_start" "$run_end")
    mbps=$(bench_mbps "$bytes" "$wall")
    link=$(awk -v m="$mbps" -v r="$link_mbit" 'BEGIN { printf "%.1f", 100 * m / (r / 8) }')
    hash_ok=$(verify "$d")
    if [ "$capped" -eq 1 ] || [ "$bytes" -ne "$size" ]; then completed=false; fi
    local after=null
    if [ "$ttfb" != null ]; then
        after=$(awk -v b="$bytes" -v w="$wall" -v t="$ttfb" -v r="$link_mbit" \
            'BEGIN { printf "%.1f", 100 * b / (w - t) / 1e6 / (r / 8) }')
    fi
    echo "$loss,$n,$tool,$bytes,$completed,$wall,$mbps,$link,$hash_ok,$retrans,$t_pipe,$t_listen,$direct,$cc,$ttfb,$after" >> "$csv_tmp"
    printf 'loss %s%% %-9s run %d: %7.2f MB/s (%5.1f %% of link)  %s bytes in %s s%s  verified %s  retrans %s %%' \
        "$loss" "$tool" "$n" "$mbps" "$link" "$bytes" "$wall" "$([ "$completed" = true ] || echo ' CAPPED')" \
        "$hash_ok" "$retrans" >&2
    if [ "$tool" = derphole ]; then
        printf '  direct %s after %s / %s s (pipe / listen)  first byte after %s s, then %s %% of link' \
            "$direct" "$t_pipe" "$t_listen" "$ttfb" "$after" >&2
    else
        printf '  cc %s' "$cc" >&2
    fi
    echo >&2
    if [ "$tool" = derphole ]; then
        grep -h -e '^stats ' -e '^direct-stats ' "$d/pipe.err" | sed 's/^/         /' >&2 || true
    fi
    local use
    use=$(link_use "$link_start" "$link_end" "$wall")
    if [ -n "$use" ]; then
        echo "         $use" >&2
        echo "$use" > "$d/link.txt"
    fi
    if [ "$hash_ok" != true ]; then
        echo "warning: $tool run $n at loss $loss %: output differs from the input" >&2
    fi
}

load_start=$(cut -d' ' -f1-3 /proc/loadavg)
echo "results in $out_dir (commit $commit, load $load_start, lab prefix $DHLAB_PREFIX)" >&2
for loss in "${losses[@]}"; do
    lab_up=1
    "$lab" up "$scenario" wan_a_loss="$loss" wan_a_rate_mbit="$link_mbit" > "$logs/lab-up-$loss.log" 2>&1 \
        || { cat "$logs/lab-up-$loss.log" >&2; die "lab.sh up $scenario wan_a_loss=$loss failed"; }
    # shellcheck disable=SC1091
    . "$DHLAB_STATE_DIR/env"
    for ((i = 1; i <= runs; i++)); do
        for ((k = 0; k < ${#tools[@]}; k++)); do
            tool=${tools[$(((k + i - 1) % ${#tools[@]}))]}
            [ -n "$tool" ] || continue
            d=$logs/loss$loss-$tool-$i
            if "run_$tool" "$d"; then
                record "$loss" "$i" "$tool" "$d"
            else
                echo "$loss,$i,$tool,0,false,,,,false,null,null,null,false,,null,null" >> "$csv_tmp"
                for pid in "${pids[@]}"; do
                    kill_tree "$pid"
                done
            fi
            pids=()
        done
    done
    "$lab" status > "$logs/lab-status-$loss.log" 2>&1 || true
    "$lab" down > /dev/null 2>&1
    lab_up=0
done
load_end=$(cut -d' ' -f1-3 /proc/loadavg)
mv "$csv_tmp" "$out_dir/results.csv"
csv=$out_dir/results.csv

# col LOSS TOOL COLUMN: the median of COLUMN over the runs of TOOL at LOSS that delivered verified bytes.
col()
{
    awk -F, -v l="$1" -v t="$2" -v c="$3" 'NR > 1 && $1 == l && $3 == t && $9 == "true" && $c != "null" && $c != "" { print $c }' \
        "$csv" | sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) { print "null" } else if (NR % 2) { print v[(NR + 1) / 2] }
            else { printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 } }'
}

# max_of LOSS TOOL COLUMN: the largest value (null when none).
max_of()
{
    awk -F, -v l="$1" -v t="$2" -v c="$3" 'NR > 1 && $1 == l && $3 == t { if ($c == "null" || $c == "") bad = 1; else if (n++ == 0 || $c > m) m = $c }
        END { if (bad || n == 0) print "null"; else print m }' "$csv"
}

# list_of LOSS TOOL COLUMN [QUOTE]: the column's values over the runs, comma-separated (QUOTE around each).
list_of()
{
    awk -F, -v l="$1" -v t="$2" -v c="$3" -v q="${4:-}" \
        'NR > 1 && $1 == l && $3 == t { printf "%s%s", (n++ ? ", " : ""), ($c == "" ? "null" : q $c q) }' "$csv"
}

ge()
{
    awk -v a="$1" -v b="$2" 'BEGIN { if (a == "null" || b == "null") print "null"; else print (a >= b) ? "true" : "false" }'
}

goals_pass=true
fail_goal()
{
    if [ "$1" != true ]; then goals_pass=false; fi
}
all_ok=$(awk -F, 'NR > 1 && ($9 != "true") { bad = 1 } END { print bad ? "false" : "true" }' "$csv")
fail_goal "$all_ok"
{
    echo "{"
    printf '  "date_utc": "%s",\n  "commit": "%s",\n  "size_bytes": %s,\n  "runs": %s,\n  "cap_s": %s,\n' \
        "$utc" "$commit" "$size" "$runs" "$cap"
    printf '  "machine": "%s",\n' "$(bench_machine)"
    printf '  "load_avg_start": "%s",\n  "load_avg_end": "%s",\n' "$load_start" "$load_end"
    printf '  "link": "lab %s: wanem on router A uplink, %s Mbit/s of IP bytes, 20 ms each way, loss per direction as listed, 1 MB queue",\n' \
        "$scenario" "$link_mbit"
    printf '  "mb_definition": "payload bytes delivered / wall / 1e6; link_pct = MB/s / %s MB/s",\n' \
        "$(awk -v r="$link_mbit" 'BEGIN { print r / 8 }')"
    printf '  "every_run_verified": %s,\n' "$all_ok"
    printf '  "levels": {\n'
    lsep=
    for loss in "${losses[@]}"; do
        printf '%s    "%s": {\n' "$lsep" "$loss"
        tsep=
        for t in "${tools[@]}"; do
            [ -n "$t" ] || continue
            printf '%s      "%s": { "mb_per_s_runs": [%s], "mb_per_s": %s, "link_pct": %s, "retrans_pct": %s, "completed": [%s]' \
                "$tsep" "$t" "$(list_of "$loss" "$t" 7)" "$(col "$loss" "$t" 7)" "$(col "$loss" "$t" 8)" \
                "$(col "$loss" "$t" 10)" "$(list_of "$loss" "$t" 5)"
            if [ "$t" = derphole ]; then
                printf ', "t_direct_pipe_s": [%s], "t_direct_listen_s": [%s], "direct": [%s]' \
                    "$(list_of "$loss" "$t" 11)" "$(list_of "$loss" "$t" 12)" "$(list_of "$loss" "$t" 13)"
                printf ', "ttfb_s": [%s], "link_pct_after_first_byte": %s' "$(list_of "$loss" "$t" 15)" \
                    "$(col "$loss" "$t" 16)"
            else
                printf ', "cc": [%s]' "$(list_of "$loss" "$t" 14 '"')"
            fi
            printf ' }'
            tsep=$',\n'
        done
        printf '\n    }'
        lsep=$',\n'
    done
    printf '\n  },\n'
    printf '  "goals": {\n'
    gsep=
    if has_tool derphole; then
        for loss in "${losses[@]}"; do
            m=$(col "$loss" derphole 8)
            if [ "$loss" != 0 ]; then
                g=$(ge "$m" "$goal_link_pct")
                fail_goal "$g"
                printf '%s    "loss_%s_link_pct_at_least_%s": %s' "$gsep" "$loss" "$goal_link_pct" "$g"
                gsep=$',\n'
            fi
            if has_tool tcp-bbr; then
                g=$(ge "$(col "$loss" derphole 7)" "$(col "$loss" tcp-bbr 7)")
                fail_goal "$g"
                printf '%s    "loss_%s_not_below_tcp_bbr": %s' "$gsep" "$loss" "$g"
                gsep=$',\n'
            fi
            tmax=$(max_of "$loss" derphole 11)
            g=$(awk -v t="$tmax" -v m="$goal_t_direct_s" 'BEGIN { if (t == "null") print "false"; else print (t < m) ? "true" : "false" }')
            fail_goal "$g"
            printf '%s    "loss_%s_every_run_direct_within_%ss": %s' "$gsep" "$loss" "$goal_t_direct_s" "$g"
            gsep=$',\n'
        done
    fi
    printf '%s    "pass": %s\n  }\n}\n' "$gsep" "$goals_pass"
} > "$out_dir/.decision.body"
# Built in this shell (not a pipeline) so that fail_goal's verdicts reach "pass"; then renamed into place.
bench_write_atomic "$out_dir/decision.json" < "$out_dir/.decision.body"
rm -f "$out_dir/.decision.body"
cat "$out_dir/decision.json"
[ "$goals_pass" = true ]
