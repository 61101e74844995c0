#!/usr/bin/env bash
# Proves the namespace NAT lab (lab.sh) and the WAN emulator (wanem) behave as their scenario files say,
# without derphole. See --help.
set -euo pipefail

usage()
{
    cat <<'EOF'
Usage: perf-scripts/lab/selftest.sh [--only SCENARIO[,SCENARIO...]] [--scenario-timeout SEC]

For every scenario in perf-scripts/lab/scenarios/ (or the --only list): lab.sh up, then checks, then lab.sh
down, and at the end that nothing is left. A UDP/TCP reflector (natprobe.py reflect) runs on the relay
address, ports 3478 and 3479 (UDP) and 8443 (TCP).

  ping-a, ping-b       a and b reach the relay's public address (ICMP through their NAT)
  isolation            pub cannot reach a's or b's private address; a cannot reach b's, b cannot reach a's
  tcp-a, tcp-b         a TCP connection from each host reaches the relay, seen from the router's public address
  map-a, map-b         one UDP socket asks the reflector on 3478 and 3479 for its source as seen from outside:
                       same port = easy (endpoint-independent mapping), different = symmetric, no answer =
                       blocked; must match nat_X / udp_X, and the address must be the router's
  punch                a and b learn their mapping on 3478 and then probe each other's at the same time for
                       up to 3 s: "direct" when both receive the other's probe, else "relay"; must equal expect=
  rtt-X (wan_X=on)     ping from X to the relay, 20 x 50 ms: average within 2 x delay +- 5 ms
  loss-X (wan_X=on)    ping -c 400 -i 0.005: round-trip loss within 1-(1-p)^2 +- max(4 sigma, 0.5 %) (p = loss per
                       direction); exactly 0 when p = 0
  tcp-rate-X           (wan_X=on, loss 0, rate > 0, iperf3 present) iperf3 TCP 3 s X -> relay: receiver rate in
                       [0.5, 1.02] x rate
  udp-rate-X           same conditions: iperf3 UDP at 1.5 x rate, 1400-byte payloads, 2 s: receiver rate in
                       [0.9, 1.02] x rate x 1400/1428 (the limit counts IP bytes), i.e. the excess is tail-dropped
  time                 the scenario (up, checks, down) took < 90 s
  teardown             after down no dhlab- namespace and no process of the scenario's wanem is left

Prints a table; exit status 0 when every check passed, 1 when any failed, 2 bad arguments or missing tools.
Needs root, iproute2, nftables, python3, ping (iputils-ping), a C compiler; iperf3 for the rate checks
(skipped, and listed as SKIP, without it). Refuses to run while a lab is up. Kills only what it started.
EOF
}

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
lab=$here/lab.sh
export LC_ALL=C
prefix=${DHLAB_PREFIX:-dhlab}
state=${DHLAB_STATE_DIR:-/run/$prefix}
only=
scenario_timeout=90
udp_ports=3478,3479
tcp_port=8443
iperf_port=5201

die()
{
    echo "error: $*" >&2
    exit 2
}

while [ $# -gt 0 ]; do
    case "$1" in
        --only) [ $# -ge 2 ] || die "--only needs a value"; only=$2; shift 2 ;;
        --scenario-timeout) [ $# -ge 2 ] || die "--scenario-timeout needs a value"; scenario_timeout=$2; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        *) die "unknown option $1 (see --help)" ;;
    esac
done
[ "$(id -u)" -eq 0 ] || die "selftest.sh needs root"
for tool in ip nft python3 ping awk; do
    command -v "$tool" > /dev/null || die "$tool is required (apt-get install iproute2 nftables python3 iputils-ping)"
done
have_iperf=1
command -v iperf3 > /dev/null || have_iperf=0
[ -z "$(ip netns list | awk '{ print $1 }' | grep "^$prefix-" || true)" ] && [ ! -e "$state/scenario" ] \
    || die "a lab ($prefix) is up; run lab.sh down first (selftest only removes labs it built)"
# Build wanem before any timing starts (and fail early without a compiler).
"$here/../wan/build.sh" > /dev/null || die "cannot build wanem"

if [ -n "$only" ]; then
    IFS=, read -r -a scenarios <<< "$only"
else
    scenarios=()
    for f in "$here"/scenarios/*.conf; do
        scenarios+=("$(basename "$f" .conf)")
    done
fi

work=$(mktemp -d /tmp/dhlab-selftest.XXXXXX)
lab_up=0
pids=()
rows=()
failures=0

cleanup()
{
    local pid
    for pid in "${pids[@]}"; do
        kill "$pid" 2> /dev/null || true
    done
    if [ "$lab_up" -eq 1 ]; then
        "$lab" down > /dev/null 2>&1 || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# row SCENARIO CHECK EXPECTED MEASURED OK: one table row; OK is 1 (PASS), 0 (FAIL) or skip.
row()
{
    local verdict=PASS
    if [ "$5" = skip ]; then
        verdict=SKIP
    elif [ "$5" -ne 1 ]; then
        verdict=FAIL
        failures=$((failures + 1))
    fi
    rows+=("$(printf '%-20s %-12s %-30s %-34s %s' "$1" "$2" "$3" "$4" "$verdict")")
    printf '%-20s %-12s %-30s %-34s %s\n' "$1" "$2" "$3" "$4" "$verdict" >&2
}

cfg()
{
    sed -n "s/^$1=//p" "$state/scenario"
}

in_lab()
{
    "$lab" exec "$@"
}

# ping_ok HOST ADDRESS: true when HOST gets an answer from ADDRESS.
ping_ok()
{
    in_lab "$1" ping -n -c 3 -i 0.05 -W 2 "$2" > /dev/null 2>&1
}

# ping_fails HOST ADDRESS: true when HOST gets no answer from ADDRESS within 1 s.
ping_fails()
{
    ! in_lab "$1" ping -n -c 1 -W 1 "$2" > /dev/null 2>&1
}

# mapping SIDE: prints easy, symmetric or blocked and the public address seen, e.g. "easy 203.0.113.1".
mapping()
{
    local out ports ips
    out=$(in_lab "$1" python3 "$here/natprobe.py" map --server "$LAB_RELAY_IP" --udp-ports "$udp_ports" \
        --timeout 1.5 || true)
    if grep -q ' none$' <<< "$out" || [ -z "$out" ]; then
        echo "blocked -"
        return
    fi
    ports=$(awk '{ split($3, a, ":"); print a[2] }' <<< "$out" | sort -u | wc -l)
    ips=$(awk '{ split($3, a, ":"); print a[1] }' <<< "$out" | sort -u | tr '\n' ' ')
    if [ "$ports" -eq 1 ]; then
        echo "easy ${ips% }"
    else
        echo "symmetric ${ips% }"
    fi
}

# iperf_rate SIDE MODE: receiver Mbit/s of one iperf3 run from SIDE to the relay (MODE tcp or udp:MBIT).
iperf_rate()
{
    local side=$1 mode=$2 json=$work/iperf-$1-${2%%:*}.json
    in_lab relay timeout 20 iperf3 -s -1 -B "$LAB_RELAY_IP" -p "$iperf_port" > /dev/null 2>&1 &
    local server=$!
    pids+=("$server")
    local i
    for ((i = 0; i < 100; i++)); do
        in_lab relay ss -Htln "sport = :$iperf_port" | grep -q . && break
        sleep 0.02
    done
    local args=(-c "$LAB_RELAY_IP" -p "$iperf_port" -J)
    if [ "$mode" = tcp ]; then
        args+=(-t 3)
    else
        args+=(-u -b "${mode#udp:}M" -l 1400 -t 2)
    fi
    in_lab "$side" timeout 20 iperf3 "${args[@]}" > "$json" 2> /dev/null || true
    wait "$server" 2> /dev/null || true
    python3 -c 'import json, sys
try:
    print("%.1f" % (json.load(open(sys.argv[1]))["end"]["sum_received"]["bits_per_second"] / 1e6))
except Exception:
    print("0")' "$json"
}

# wan_checks SCENARIO SIDE: RTT, loss and rate of the wanem link on SIDE's uplink.
wan_checks()
{
    local sc=$1 s=$2
    local delay loss rate
    delay=$(cfg "wan_${s}_delay_ms")
    loss=$(cfg "wan_${s}_loss")
    rate=$(cfg "wan_${s}_rate_mbit")
    local out avg ok
    out=$(in_lab "$s" ping -n -q -c 20 -i 0.05 -W 2 "$LAB_RELAY_IP" 2>&1 || true)
    avg=$(sed -n 's|^rtt min/avg/max/mdev = [0-9.]*/\([0-9.]*\)/.*|\1|p' <<< "$out")
    avg=${avg:-0}
    ok=$(awk -v a="$avg" -v d="$delay" 'BEGIN { print (a >= 2 * d - 5 && a <= 2 * d + 5) ? 1 : 0 }')
    row "$sc" "rtt-$s" "$(awk -v d="$delay" 'BEGIN { printf "%g +- 5 ms", 2 * d }')" "avg $avg ms" "$ok"

    out=$(in_lab "$s" ping -n -q -c 400 -i 0.005 -W 1 "$LAB_RELAY_IP" 2>&1 || true)
    local sent recv
    sent=$(sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p' <<< "$out")
    recv=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' <<< "$out")
    sent=${sent:-0}
    recv=${recv:-0}
    local range measured
    range=$(awk -v p="$loss" -v n="$sent" 'BEGIN { q = p / 100; e = 1 - (1 - q) * (1 - q);
        s = (n > 0) ? sqrt(e * (1 - e) / n) : 1; w = 4 * s; if (w < 0.005) w = 0.005;
        if (q == 0) { print "0 0" } else { lo = e - w; if (lo < 0) lo = 0; printf "%.4f %.4f\n", lo, e + w } }')
    measured=$(awk -v s="$sent" -v r="$recv" 'BEGIN { printf "%.4f", (s > 0) ? (s - r) / s : 1 }')
    ok=$(awk -v m="$measured" -v r="$range" -v s="$sent" 'BEGIN { split(r, b, " ");
        print (s > 0 && m >= b[1] - 1e-9 && m <= b[2] + 1e-9) ? 1 : 0 }')
    row "$sc" "loss-$s" "$(awk -v r="$range" 'BEGIN { split(r, b, " "); printf "%.1f..%.1f %%", 100 * b[1], 100 * b[2] }')" \
        "$(awk -v m="$measured" -v s="$sent" -v r="$recv" 'BEGIN { printf "%.1f %% (%d/%d lost)", 100 * m, s - r, s }')" "$ok"

    local zero_loss
    zero_loss=$(awk -v p="$loss" -v r="$rate" 'BEGIN { print (p == 0 && r > 0) ? 1 : 0 }')
    if [ "$zero_loss" -eq 1 ]; then
        if [ "$have_iperf" -eq 0 ]; then
            row "$sc" "tcp-rate-$s" "iperf3 missing" "-" skip
            row "$sc" "udp-rate-$s" "iperf3 missing" "-" skip
            return
        fi
        local got
        got=$(iperf_rate "$s" tcp)
        ok=$(awk -v g="$got" -v r="$rate" 'BEGIN { print (g >= 0.5 * r && g <= 1.02 * r) ? 1 : 0 }')
        row "$sc" "tcp-rate-$s" "$(awk -v r="$rate" 'BEGIN { printf "%g..%g Mbit/s", 0.5 * r, 1.02 * r }')" \
            "$got Mbit/s" "$ok"
        got=$(iperf_rate "$s" "udp:$(awk -v r="$rate" 'BEGIN { printf "%d", 1.5 * r }')")
        local goodput
        goodput=$(awk -v r="$rate" 'BEGIN { printf "%.1f", r * 1400 / 1428 }')
        ok=$(awk -v g="$got" -v r="$goodput" 'BEGIN { print (g >= 0.9 * r && g <= 1.02 * r) ? 1 : 0 }')
        row "$sc" "udp-rate-$s" "$(awk -v r="$goodput" 'BEGIN { printf "%.0f..%.0f Mbit/s", 0.9 * r, 1.02 * r }')" \
            "$got Mbit/s" "$ok"
    fi
}

run_scenario()
{
    local sc=$1 t0=$SECONDS
    echo "== $sc" >&2
    lab_up=1
    if ! "$lab" up "$sc" > "$work/up.log" 2>&1; then
        row "$sc" up "lab.sh up succeeds" "$(tail -n 1 "$work/up.log")" 0
        lab_up=0
        return
    fi
    # shellcheck disable=SC1091
    . "$state/env"
    local wanem_pids
    wanem_pids=$(cat "$state"/wanem-*.pid 2> /dev/null | tr '\n' ' ' || true)

    in_lab relay python3 "$here/natprobe.py" reflect --bind "$LAB_RELAY_IP" --udp-ports "$udp_ports" \
        --tcp-port "$tcp_port" > "$work/reflect.log" 2>&1 &
    local reflector=$!
    pids+=("$reflector")
    local i
    for ((i = 0; i < 100; i++)); do
        grep -q 'reflect ready' "$work/reflect.log" 2> /dev/null && break
        sleep 0.02
    done

    local s ok
    for s in a b; do
        ok=0
        ping_ok "$s" "$LAB_RELAY_IP" && ok=1
        row "$sc" "ping-$s" "relay $LAB_RELAY_IP answers" "$([ "$ok" -eq 1 ] && echo answers || echo silent)" "$ok"
    done
    local leaks=""
    ping_fails relay "$LAB_A_IP" || leaks+="pub->a "
    ping_fails relay "$LAB_B_IP" || leaks+="pub->b "
    ping_fails a "$LAB_B_IP" || leaks+="a->b "
    ping_fails b "$LAB_A_IP" || leaks+="b->a "
    row "$sc" isolation "private addresses unreachable" "${leaks:-none reachable}" "$([ -z "$leaks" ] && echo 1 || echo 0)"

    local wan_ip seen
    for s in a b; do
        wan_ip=$([ "$s" = a ] && echo "$LAB_A_WAN_IP" || echo "$LAB_B_WAN_IP")
        seen=$(in_lab "$s" python3 "$here/natprobe.py" tcp --server "$LAB_RELAY_IP" --tcp-port "$tcp_port" \
            --timeout 3 2>&1 || true)
        seen=${seen#tcp }
        row "$sc" "tcp-$s" "from $wan_ip" "${seen:0:34}" "$([[ "$seen" == "$wan_ip":* ]] && echo 1 || echo 0)"
    done

    local expected got
    for s in a b; do
        wan_ip=$([ "$s" = a ] && echo "$LAB_A_WAN_IP" || echo "$LAB_B_WAN_IP")
        if [ "$(cfg "udp_$s")" = block ]; then
            expected="blocked -"
        else
            expected="$(cfg "nat_$s") $wan_ip"
        fi
        got=$(mapping "$s")
        row "$sc" "map-$s" "$expected" "$got" "$([ "$got" = "$expected" ] && echo 1 || echo 0)"
    done

    rm -f "$work/punch-a" "$work/punch-b"
    in_lab a python3 "$here/natprobe.py" punch --server "$LAB_RELAY_IP" --udp-port 3478 \
        --self "$work/punch-a" --peer "$work/punch-b" --timeout 3 > "$work/punch-a.log" 2>&1 &
    local punch_a=$!
    pids+=("$punch_a")
    local rc_b=0 rc_a=0
    in_lab b python3 "$here/natprobe.py" punch --server "$LAB_RELAY_IP" --udp-port 3478 \
        --self "$work/punch-b" --peer "$work/punch-a" --timeout 3 > "$work/punch-b.log" 2>&1 || rc_b=$?
    wait "$punch_a" || rc_a=$?
    local path=relay
    [ "$rc_a" -eq 0 ] && [ "$rc_b" -eq 0 ] && path=direct
    row "$sc" punch "$LAB_EXPECT" "$path (a rc $rc_a, b rc $rc_b)" "$([ "$path" = "$LAB_EXPECT" ] && echo 1 || echo 0)"

    for s in a b; do
        if [ "$(cfg "wan_$s")" = on ]; then
            wan_checks "$sc" "$s"
        fi
    done

    kill "$reflector" 2> /dev/null || true
    wait "$reflector" 2> /dev/null || true
    "$lab" down > "$work/down.log" 2>&1 || true
    lab_up=0
    local left="" pid st
    left+=$(ip netns list | awk '{ print $1 }' | grep "^$prefix-" | tr '\n' ' ' || true)
    for pid in $wanem_pids; do
        st=$(awk '{ print $3 }' "/proc/$pid/stat" 2> /dev/null || true)
        [ -n "$st" ] && [ "$st" != Z ] && left+="wanem:$pid "
    done
    row "$sc" teardown "nothing left" "${left:-nothing left}" "$([ -z "$left" ] && echo 1 || echo 0)"
    local took=$((SECONDS - t0))
    row "$sc" time "< $scenario_timeout s" "$took s" "$([ "$took" -lt "$scenario_timeout" ] && echo 1 || echo 0)"
}

for sc in "${scenarios[@]}"; do
    [ -f "$here/scenarios/$sc.conf" ] || die "no scenario $sc"
    run_scenario "$sc"
done

left=$(ip netns list | awk '{ print $1 }' | grep "^$prefix-" | tr '\n' ' ' || true)
# Exited processes whose zombie the machine's init has not reaped yet do not count.
procs=$(ps -eo pid=,stat=,comm= | awk '$3 == "wanem" && $2 !~ /^Z/ { printf "%s ", $1 }')
row all final "no $prefix- netns, no wanem" "${left}${procs:+wanem $procs}" "$([ -z "$left$procs" ] && echo 1 || echo 0)"

echo
printf '%-20s %-12s %-30s %-34s %s\n' scenario check expected measured result
for r in "${rows[@]}"; do
    echo "$r"
done
echo
if [ "$failures" -gt 0 ]; then
    echo "selftest: $failures check(s) FAILED"
    exit 1
fi
echo "selftest: all checks passed"
