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
                       up to 3 s: "direct" when both receive the other's probe, else "relay"; must equal expect=.
                       A side with portmap_X=on first maps its punch port 40004 by NAT-PMP and advertises the
                       mapping (WAN_X:41004) instead of what the reflector saw
  rtt-X (wan_X=on)     ping from X to the relay, 20 x 50 ms: average within 2 x delay +- 5 ms
  loss-X (wan_X=on)    ping -c 400 -i 0.005: round-trip loss within 1-(1-p)^2 +- max(4 sigma, 0.5 %) (p = loss per
                       direction); exactly 0 when p = 0
  tcp-rate-X           (wan_X=on, loss 0, rate > 0, iperf3 present) iperf3 TCP 3 s X -> relay: receiver rate in
                       [0.5, 1.02] x rate
  udp-rate-X           same conditions: iperf3 UDP at 1.5 x rate, 1400-byte payloads, 2 s: receiver rate in
                       [0.9, 1.02] x rate x 1400/1428 (the limit counts IP bytes), i.e. the excess is tail-dropped
  time                 the scenario (up, checks, down) took < 90 s
  teardown             after down no dhlab- namespace, no process of the scenario's wanem, miniupnpd or SNAT
                       watcher, and no state folder is left

With portmap_X=on (router X runs miniupnpd; natpmpc and upnpc run inside host X, reflectors inside host X
and on the relay; "inbound" = the relay sends from RELAY:port to WAN_X:EPORT, host X's reflector answers with
the source it saw, and the answer must come from WAN_X:EPORT):
  pmp-map-X            natpmpc maps UDP 40001 to external 41001: the answer names WAN_X as public address
  pmp-out-X            new flows from 40001 to the relay's ports 3478 and 3479 both leave from WAN_X:41001
                       (endpoint-independent through the mapping, even behind a symmetric router)
  pmp-in-X             inbound from RELAY:5001 reaches X:40001 with that exact source
  unmapped-X           meanwhile an unmapped socket still sees nat_X (symmetric: a new port per destination)
  pmp-del-X            natpmpc deletes it (lifetime 0): inbound from RELAY:5002 gets no answer; a new flow from
                       40001 (to 3480) leaves from a new random port on a symmetric router, but still from 41001
                       on an easy one (its flows from the mapping's time still live, and an endpoint-independent
                       NAT reuses a source's existing mapping)
  upnp-map-X           upnpc (SSDP discovery, -i: the external address is TEST-NET-3) maps UDP 40002 to 41002
  upnp-out-X, upnp-in-X, upnp-del-X   as for NAT-PMP (relay ports 5003, 5004; upnpc -d deletes)
  secure-X             upnpc asking for a mapping to another LAN address is refused (secure mode)
  wan-pmp-X            the relay gets no NAT-PMP answer from WAN_X:5351
  clash-X              without lab.sh's re-homing (its watcher paused): X sends from 40006 to a peer on
                       RELAY:3482, then maps 40006 to 41006; the peer's probes to WAN_X:41006 still reach X's
                       reflector, which sees them from RELAY:<another port> (conntrack rewrote the source: the
                       reply direction clashed with X's older flow) and whose answer arrives from WAN_X:41006;
                       everything X itself sends to RELAY:3482, before and after the mapping, arrives from
                       one old port (measured: "from W:old; seen as RELAY:port")
  rehome-X             a flow from 40003 to the relay's 3481 started before the mapping leaves from the new
                       mapping (41003) within 3 s after NAT-PMP maps 40003 (lab.sh re-homes such flows)
  daemon-X             miniupnpd still runs and logged no netlink error
With portmap_delay_X > 0 as well (checked first, then the above once miniupnpd is up):
  late-X               right after up, natpmpc maps nothing (no miniupnpd yet: port unreachable); lab.sh's
                       launcher then logs miniupnpd up within [delay, delay + 5] s

Prints a table; exit status 0 when every check passed, 1 when any failed, 2 bad arguments or missing tools.
Needs root, iproute2, nftables, python3, ping (iputils-ping), a C compiler; iperf3 for the rate checks
(skipped, and listed as SKIP, without it); for portmap scenarios miniupnpd-nftables, conntrack, natpmpc
(natpmp-utils) and upnpc (miniupnpc). Refuses to run while a lab is up. Kills only what it started.
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
# The relay's reflector also answers on these (portmap checks: a destination no other check used).
extra_udp_ports=3480,3481
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

for sc in "${scenarios[@]}"; do
    [ -f "$here/scenarios/$sc.conf" ] || die "no scenario $sc"
    if grep -qE '^portmap_[ab]=on' "$here/scenarios/$sc.conf"; then
        for tool in natpmpc:natpmp-utils upnpc:miniupnpc conntrack:conntrack miniupnpd:miniupnpd-nftables; do
            command -v "${tool%%:*}" > /dev/null || die "$sc needs ${tool%%:*} (apt-get install ${tool#*:})"
        done
    fi
done

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

# pmp SIDE ARGS...: natpmpc inside SIDE, towards its router (bounded: natpmpc itself retries for minutes).
pmp()
{
    local gw
    gw=$([ "$1" = a ] && echo "$LAB_A_GW" || echo "$LAB_B_GW")
    in_lab "$1" timeout 5 natpmpc -g "$gw" "${@:2}" 2>&1 || true
}

# upnp SIDE ARGS...: upnpc inside SIDE; -i because the router's external address is reserved (TEST-NET-3).
upnp()
{
    in_lab "$1" timeout 10 upnpc -i "${@:2}" 2>&1 || true
}

# wait_snat SIDE IPORT present|absent: waits (3 s at most) until lab.sh's SNAT watcher has (or no longer has)
# the mapping of SIDE's UDP port IPORT in map @portmap_snat.
wait_snat()
{
    local host i have
    host=$([ "$1" = a ] && echo "$LAB_A_IP" || echo "$LAB_B_IP")
    for ((i = 0; i < 150; i++)); do
        have=absent
        in_lab "r$1" nft get element ip dhlab portmap_snat "{ udp . $host . $2 }" > /dev/null 2>&1 && have=present
        [ "$have" = "$3" ] && return 0
        sleep 0.02
    done
    return 1
}

# outbound SIDE LOCALPORT PORTS: the sources the relay's reflector saw for new probes from SIDE:LOCALPORT to
# each of PORTS (comma-separated), space-separated ("none" for no answer).
outbound()
{
    in_lab "$1" python3 "$here/natprobe.py" map --server "$LAB_RELAY_IP" --udp-ports "$3" --local-port "$2" \
        --timeout 1.5 2> /dev/null | awk '{ printf "%s%s", sep, $3; sep = " " }' || true
}

# inbound SIDE EPORT SRCPORT: what SIDE's reflector (on the mapped internal port) saw as source of a probe
# the relay sent from RELAY:SRCPORT to WAN_SIDE:EPORT, counted only if the answer came from WAN_SIDE:EPORT.
inbound()
{
    local wan_ip
    wan_ip=$([ "$1" = a ] && echo "$LAB_A_WAN_IP" || echo "$LAB_B_WAN_IP")
    in_lab relay python3 "$here/natprobe.py" map --server "$wan_ip" --udp-ports "$2" --bind "$LAB_RELAY_IP" \
        --local-port "$3" --timeout 1.5 2> /dev/null | awk '{ print $3 }' || true
}

# host_reflector SIDE PORT: starts a reflector inside SIDE on PORT (15 s at most); prints its pid.
host_reflector()
{
    local log=$work/reflect-$1-$2.log i
    # "$lab" exec, not in_lab: a function run in the background is a subshell, and killing it would leave the
    # reflector running; lab.sh exec execs `ip netns exec`, which execs timeout, so $! is timeout itself.
    "$lab" exec "$1" timeout 15 python3 "$here/natprobe.py" reflect --bind 0.0.0.0 --udp-ports "$2" > "$log" 2>&1 &
    local pid=$!
    for ((i = 0; i < 150; i++)); do
        grep -q 'reflect ready' "$log" 2> /dev/null && break
        sleep 0.02
    done
    echo "$pid"
}

# stop_pid PID: TERM and wait (2 s at most) until it is gone; PID need not be our child (host_reflector runs in
# a command substitution). timeout(1) exits only after the command it runs.
stop_pid()
{
    local i
    kill "$1" 2> /dev/null || true
    for ((i = 0; i < 100; i++)); do
        kill -0 "$1" 2> /dev/null || break
        sleep 0.02
    done
    wait "$1" 2> /dev/null || true
}

# clash_check SCENARIO SIDE: what a router without lab.sh's re-homing does when SIDE sent from 40006 to a peer
# (RELAY:3482) before mapping 40006 to 41006 (the SNAT watcher is paused meanwhile): the peer's packets to
# WAN:41006 still arrive, with their source port rewritten (conntrack's answer to the clash with the older
# flow), SIDE's answer to that source reaches the peer from WAN:41006, and what SIDE itself sends to the peer
# keeps leaving from the old port.
clash_check()
{
    local sc=$1 s=$2 wan_ip wpid i st upid log=$work/peer-$2.log
    wan_ip=$([ "$s" = a ] && echo "$LAB_A_WAN_IP" || echo "$LAB_B_WAN_IP")
    wpid=$(cat "$state/portmap-sync-$s.pid" 2> /dev/null || true)
    upid=$(cat "$state/miniupnpd-$s.pid" 2> /dev/null || true)
    if [ -z "$wpid" ] || [ -z "$upid" ]; then
        row "$sc" "clash-$s" "watcher and miniupnpd pids" "missing" 0
        return
    fi
    # Pause the watcher, but never while it holds miniupnpd stopped (it does so around its nft calls).
    for ((i = 0; i < 50; i++)); do
        kill -STOP "$wpid" 2> /dev/null || true
        st=$(awk '{ print $3 }' "/proc/$upid/stat" 2> /dev/null || true)
        [ "$st" != T ] && break
        kill -CONT "$wpid" 2> /dev/null || true
        sleep 0.02
    done
    "$lab" exec relay timeout 15 python3 "$here/natprobe.py" peer --bind "$LAB_RELAY_IP" --port 3482 \
        --to "$wan_ip:41006" --send-after 0.5 --timeout 10 > "$log" 2>&1 &
    local peer=$!
    for ((i = 0; i < 150; i++)); do
        grep -q 'peer ready' "$log" 2> /dev/null && break
        sleep 0.02
    done
    in_lab "$s" python3 "$here/natprobe.py" map --server "$LAB_RELAY_IP" --udp-ports 3482 --local-port 40006 \
        --timeout 0.3 > /dev/null 2>&1 || true
    pmp "$s" -a 41006 40006 udp 60 > /dev/null
    local rpid
    rpid=$(host_reflector "$s" 40006)
    for ((i = 0; i < 200; i++)); do
        grep -q '^peer answer' "$log" 2> /dev/null && break
        sleep 0.02
    done
    stop_pid "$rpid"
    in_lab "$s" python3 "$here/natprobe.py" map --server "$LAB_RELAY_IP" --udp-ports 3482 --local-port 40006 \
        --timeout 0.3 > /dev/null 2>&1 || true
    sleep 0.3
    stop_pid "$peer"
    kill -CONT "$wpid" 2> /dev/null || true
    pmp "$s" -a 41006 40006 udp 0 > /dev/null
    local heard answer ok=0
    heard=$(sed -n 's/^peer from //p' "$log" | tr '\n' ' ')
    heard=${heard% }
    answer=$(sed -n 's/^peer answer //p' "$log")
    if [[ "$heard" =~ ^$wan_ip:[0-9]+$ ]] && [ "$heard" != "$wan_ip:41006" ] \
        && [[ "$answer" == "$LAB_RELAY_IP":* ]] && [ "$answer" != "$LAB_RELAY_IP:3482" ]; then
        ok=1
    fi
    row "$sc" "clash-$s" "from old port; seen as :<not 3482>" "from ${heard:-nothing}; seen as ${answer:-none}" "$ok"
}

# late_check SCENARIO SIDE: portmap_delay_X > 0: no mapping service right after up, miniupnpd up after the delay.
late_check()
{
    local sc=$1 s=$2 delay gw out early i up_at
    delay=$(cfg "portmap_delay_$s")
    gw=$([ "$s" = a ] && echo "$LAB_A_GW" || echo "$LAB_B_GW")
    out=$(in_lab "$s" timeout 2 natpmpc -g "$gw" -a 41009 40009 udp 60 2>&1 || true)
    early=$(grep -c '^Mapped public port' <<< "$out" || true)
    for ((i = 0; i < (delay + 15) * 10; i++)); do
        grep -q "miniupnpd in r$s up" "$state/portmap-late.log" 2> /dev/null && break
        sleep 0.1
    done
    up_at=$(sed -n "s/^portmap-late: miniupnpd in r$s up after \([0-9]*\) s$/\1/p" "$state/portmap-late.log" \
        2> /dev/null || true)
    local ok=0
    [ "$early" -eq 0 ] && [ -n "$up_at" ] && [ "$up_at" -ge "$delay" ] && [ "$up_at" -le $((delay + 5)) ] && ok=1
    row "$sc" "late-$s" "no map; up after $delay..$((delay + 5)) s" \
        "$([ "$early" -eq 0 ] && echo "no map" || echo mapped); up after ${up_at:-never} s" "$ok"
}

# portmap_checks SCENARIO SIDE: router SIDE runs miniupnpd; see --help (pmp-*, upnp-*, secure, rehome, ...).
portmap_checks()
{
    local sc=$1 s=$2 wan_ip host gw out got ok rpid
    wan_ip=$([ "$s" = a ] && echo "$LAB_A_WAN_IP" || echo "$LAB_B_WAN_IP")
    host=$([ "$s" = a ] && echo "$LAB_A_IP" || echo "$LAB_B_IP")
    gw=$([ "$s" = a ] && echo "$LAB_A_GW" || echo "$LAB_B_GW")
    local url=http://$gw:2869/rootDesc.xml nat
    nat=$(cfg "nat_$s")

    # NAT-PMP: map, out, in, unmapped, delete.
    out=$(pmp "$s" -a 41001 40001 udp 60)
    got="$(sed -n 's/^Public IP address : //p' <<< "$out") $(sed -n \
        's/^Mapped public port \([0-9]*\) protocol UDP to local port \([0-9]*\).*/\1->\2/p' <<< "$out")"
    row "$sc" "pmp-map-$s" "$wan_ip 41001->40001" "$got" "$([ "$got" = "$wan_ip 41001->40001" ] && echo 1 || echo 0)"
    wait_snat "$s" 40001 present || true
    got=$(outbound "$s" 40001 3478,3479)
    row "$sc" "pmp-out-$s" "$wan_ip:41001 x2" "$got" \
        "$([ "$got" = "$wan_ip:41001 $wan_ip:41001" ] && echo 1 || echo 0)"
    rpid=$(host_reflector "$s" 40001)
    got=$(inbound "$s" 41001 5001)
    stop_pid "$rpid"
    row "$sc" "pmp-in-$s" "$LAB_RELAY_IP:5001" "$got" "$([ "$got" = "$LAB_RELAY_IP:5001" ] && echo 1 || echo 0)"
    got=$(mapping "$s")
    row "$sc" "unmapped-$s" "$nat $wan_ip" "$got" "$([ "$got" = "$nat $wan_ip" ] && echo 1 || echo 0)"
    pmp "$s" -a 41001 40001 udp 0 > /dev/null
    wait_snat "$s" 40001 absent || true
    rpid=$(host_reflector "$s" 40001)
    got="in $(inbound "$s" 41001 5002)"
    stop_pid "$rpid"
    local after
    after=$(outbound "$s" 40001 3480)
    got+=", out $after"
    # A symmetric router picks a new random port again; an easy one keeps using 41001 for as long as older
    # flows from 40001 through it live (endpoint-independent mapping: the kernel reuses a source's mapping).
    local want_out="not :41001"
    [ "$nat" = easy ] && want_out=":41001"
    ok=0
    if [ "$got" = "in none, out ${after}" ] && [[ "$after" == "$wan_ip":* ]]; then
        if [ "$nat" = easy ]; then
            [ "$after" = "$wan_ip:41001" ] && ok=1
        else
            [ "$after" != "$wan_ip:41001" ] && ok=1
        fi
    fi
    row "$sc" "pmp-del-$s" "in none, out $want_out" "$got" "$ok"

    # UPnP IGD: map (with SSDP discovery), out, in, delete.
    out=$(upnp "$s" -e dhlab-selftest -a "$host" 40002 41002 UDP 60)
    got=$(sed -n 's/^external \([0-9.:]*\) UDP is redirected to internal \([0-9.:]*\).*/\1->\2/p' <<< "$out")
    row "$sc" "upnp-map-$s" "$wan_ip:41002->$host:40002" "${got:-$(tail -n 1 <<< "$out")}" \
        "$([ "$got" = "$wan_ip:41002->$host:40002" ] && echo 1 || echo 0)"
    wait_snat "$s" 40002 present || true
    got=$(outbound "$s" 40002 3478,3479)
    row "$sc" "upnp-out-$s" "$wan_ip:41002 x2" "$got" \
        "$([ "$got" = "$wan_ip:41002 $wan_ip:41002" ] && echo 1 || echo 0)"
    rpid=$(host_reflector "$s" 40002)
    got=$(inbound "$s" 41002 5003)
    row "$sc" "upnp-in-$s" "$LAB_RELAY_IP:5003" "$got" "$([ "$got" = "$LAB_RELAY_IP:5003" ] && echo 1 || echo 0)"
    out=$(upnp "$s" -u "$url" -d 41002 UDP)
    got="$(sed -n 's/^UPNP_DeletePortMapping() returned : //p' <<< "$out"), in $(inbound "$s" 41002 5004)"
    stop_pid "$rpid"
    row "$sc" "upnp-del-$s" "0, in none" "$got" "$([ "$got" = "0, in none" ] && echo 1 || echo 0)"

    out=$(upnp "$s" -u "$url" -e dhlab-selftest -a "${host%.*}.99" 40005 41005 UDP 60)
    got=$(grep -o 'failed with code [0-9]*' <<< "$out" || echo "accepted")
    row "$sc" "secure-$s" "failed with code 718" "$got" "$([ "$got" = "failed with code 718" ] && echo 1 || echo 0)"
    out=$(in_lab relay timeout 3 natpmpc -g "$wan_ip" 2>&1 || true)
    got=$(grep -q '^Public IP address' <<< "$out" && echo answered || echo "no answer")
    row "$sc" "wan-pmp-$s" "no answer" "$got" "$([ "$got" = "no answer" ] && echo 1 || echo 0)"

    clash_check "$sc" "$s"

    # A flow that exists before the mapping moves onto it.
    local before i t0=$SECONDS
    before=$(outbound "$s" 40003 3481)
    pmp "$s" -a 41003 40003 udp 60 > /dev/null
    after=none
    for ((i = 0; i < 6 && SECONDS - t0 < 5; i++)); do
        after=$(outbound "$s" 40003 3481)
        [ "$after" = "$wan_ip:41003" ] && break
        sleep 0.3
    done
    pmp "$s" -a 41003 40003 udp 0 > /dev/null
    row "$sc" "rehome-$s" "$wan_ip:41003" "$before -> $after" "$([ "$after" = "$wan_ip:41003" ] && echo 1 || echo 0)"

    local pid
    pid=$(cat "$state/miniupnpd-$s.pid" 2> /dev/null || true)
    got="stopped"
    [ -n "$pid" ] && kill -0 "$pid" 2> /dev/null && got="running"
    got+=", $(grep -c 'mnl_cb_run returned' "$state/miniupnpd-$s.log" || true) netlink errors"
    row "$sc" "daemon-$s" "running, 0 netlink errors" "$got" \
        "$([ "$got" = "running, 0 netlink errors" ] && echo 1 || echo 0)"
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

    local daemon_pids
    daemon_pids=$(cat "$state"/miniupnpd-*.pid "$state"/portmap-sync-*.pid 2> /dev/null | tr '\n' ' ' || true)

    in_lab relay python3 "$here/natprobe.py" reflect --bind "$LAB_RELAY_IP" \
        --udp-ports "$udp_ports,$extra_udp_ports" --tcp-port "$tcp_port" > "$work/reflect.log" 2>&1 &
    local reflector=$!
    pids+=("$reflector")
    local i
    for ((i = 0; i < 100; i++)); do
        grep -q 'reflect ready' "$work/reflect.log" 2> /dev/null && break
        sleep 0.02
    done

    local s ok
    for s in a b; do
        [ "$(cfg "portmap_$s")" = on ] && [ "$(cfg "portmap_delay_$s")" -gt 0 ] && late_check "$sc" "$s"
    done
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

    for s in a b; do
        [ "$(cfg "portmap_$s")" = on ] && portmap_checks "$sc" "$s"
    done

    rm -f "$work/punch-a" "$work/punch-b"
    local punch_args_a=() punch_args_b=() mapped
    for s in a b; do
        [ "$(cfg "portmap_$s")" = on ] || continue
        mapped=$(pmp "$s" -a 41004 40004 udp 60 | sed -n 's/^Mapped public port \([0-9]*\) protocol UDP.*/\1/p')
        [ -n "$mapped" ] || continue
        wan_ip=$([ "$s" = a ] && echo "$LAB_A_WAN_IP" || echo "$LAB_B_WAN_IP")
        wait_snat "$s" 40004 present || true
        if [ "$s" = a ]; then
            punch_args_a=(--local-port 40004 --advertise "$wan_ip:$mapped")
        else
            punch_args_b=(--local-port 40004 --advertise "$wan_ip:$mapped")
        fi
    done
    in_lab a python3 "$here/natprobe.py" punch --server "$LAB_RELAY_IP" --udp-port 3478 \
        --self "$work/punch-a" --peer "$work/punch-b" --timeout 3 "${punch_args_a[@]}" > "$work/punch-a.log" 2>&1 &
    local punch_a=$!
    pids+=("$punch_a")
    local rc_b=0 rc_a=0
    in_lab b python3 "$here/natprobe.py" punch --server "$LAB_RELAY_IP" --udp-port 3478 \
        --self "$work/punch-b" --peer "$work/punch-a" --timeout 3 "${punch_args_b[@]}" > "$work/punch-b.log" 2>&1 \
        || rc_b=$?
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
    for pid in $daemon_pids; do
        st=$(awk '{ print $3 }' "/proc/$pid/stat" 2> /dev/null || true)
        [ -n "$st" ] && [ "$st" != Z ] && left+="$(cat "/proc/$pid/comm" 2> /dev/null):$pid "
    done
    [ ! -e "$state" ] || left+="$state "
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
# miniupnpd and the SNAT watcher of this prefix name the state folder on their command line.
daemons=$(pgrep -f -- "$state/miniupnpd-" | tr '\n' ' ' || true)
row all final "no $prefix- netns, wanem, miniupnpd" "${left}${procs:+wanem $procs}${daemons:+daemons $daemons}" \
    "$([ -z "$left$procs$daemons" ] && echo 1 || echo 0)"

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
