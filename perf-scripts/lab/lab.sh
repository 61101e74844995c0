#!/usr/bin/env bash
# Network-namespace NAT lab (issue 5): two hosts behind their own NAT routers, a public segment with the relay,
# optional user-space WAN emulation (wanem) on the router uplinks. See --help.
set -euo pipefail

usage()
{
    cat <<'EOF'
Usage: perf-scripts/lab/lab.sh COMMAND [ARGS]

Commands:
  up SCENARIO [KEY=VALUE...]  build the topology of scenarios/SCENARIO.conf (KEY=VALUE overrides its keys)
  down                        remove everything the lab created: every process inside its namespaces
                              (wanem, reflectors, anything started with `exec`), the namespaces with their
                              veth and TUN devices, and the state folder. Idempotent.
  exec HOST CMD...            run CMD inside HOST's namespace: relay (= pub), a, b, ra, rb
  addr NAME                   print an address: relay, a, b (private), a-wan, b-wan (the routers' public ones)
  status                      scenario, namespaces, addresses, wanem counters
  list                        the scenarios and their descriptions
  -h, --help                  this text

Topology (names carry the prefix $DHLAB_PREFIX, default "dhlab"):

  dhlab-a  eth0 LAN_A.2/24 --veth-- lan0 LAN_A.1  dhlab-ra  wan0 203.0.113.1 --link-- to-ra ┐
                                                                                            dhlab-pub  lo 203.0.113.10 (relay)
  dhlab-b  eth0 LAN_B.2/24 --veth-- lan0 LAN_B.1  dhlab-rb  wan0 203.0.113.2 --link-- to-rb ┘  (203.0.113.254 on to-*)

  "link" is a veth pair, or with wan_X=on two TUN devices carried by wanem (perf-scripts/wan/wanem.c, run
  inside dhlab-rX) with the scenario's delay, loss, rate and queue; direction ab of wanem = router -> pub.
  a and b route everything to their router, the routers to pub; pub has no default route and no route to
  the private LANs, so private addresses are unreachable from outside and nothing leaves the lab (the
  namespaces have no link to the machine's own network). IPv4 only: IPv6 is disabled in every namespace.

  Routers (nftables table `ip dhlab`): masquerade on wan0 (nat_X=easy: port-preserving, endpoint-independent
  mapping; nat_X=symmetric: `masquerade random,fully-random`, a new random port per destination =
  endpoint-dependent); forward accepts LAN -> WAN and established/related WAN -> LAN only (unsolicited inbound
  dropped, address-and-port-dependent filtering); input from wan0 accepts established/related only, so a
  probe arriving before the hole is punched is dropped unconfirmed and cannot steal the port; udp_X=block
  drops all forwarded UDP (the host keeps TCP and ICMP: relay only).

Scenario files (scenarios/*.conf): one KEY=VALUE per line, `#` starts a comment, no quoting. Keys (defaults):
  description=TEXT
  expect=direct|relay           the path derphole must end on (required)
  nat_a=easy|symmetric (easy)   nat_b likewise
  udp_a=allow|block (allow)     udp_b likewise
  lan_a=192.168.10  lan_b=192.168.20   first three octets of the /24 LANs (must differ from 203.0.113)
  wan_a=off|on (off)            wan_b likewise; with on:
  wan_a_delay_ms=20  wan_a_loss=0  wan_a_rate_mbit=200  wan_a_queue_bytes=1000000  wan_a_seed=1
                                one-way delay (ms), random loss per direction (%), rate (Mbit/s of IP bytes,
                                0 = unlimited), tail-drop queue (bytes), loss seed; same keys for b

Environment: DHLAB_PREFIX (default dhlab, [a-z0-9]{1,8}), DHLAB_STATE_DIR (default /run/$DHLAB_PREFIX).
After `up`, $DHLAB_STATE_DIR/env holds LAB_* shell variables (addresses, namespaces, expect) for scripts.
Needs root, iproute2, nftables, and for wan scenarios a C compiler (wanem is built on demand).
Exit status: 0 ok, 1 failed (an `up` that fails tears down what it built), 2 bad arguments.
EOF
}

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
prefix=${DHLAB_PREFIX:-dhlab}
[[ "$prefix" =~ ^[a-z0-9]{1,8}$ ]] || { echo "error: DHLAB_PREFIX must match [a-z0-9]{1,8}" >&2; exit 2; }
state=${DHLAB_STATE_DIR:-/run/$prefix}
pub_net=203.0.113
relay_ip=$pub_net.10
pub_gw=$pub_net.254
# Ports the lab's own probes use on the relay address (selftest.sh); derphole picks its own.
keys=(description expect nat_a nat_b udp_a udp_b lan_a lan_b wan_a wan_b
    wan_a_delay_ms wan_a_loss wan_a_rate_mbit wan_a_queue_bytes wan_a_seed
    wan_b_delay_ms wan_b_loss wan_b_rate_mbit wan_b_queue_bytes wan_b_seed)
declare -A cfg

die()
{
    echo "error: $*" >&2
    exit 2
}

fail()
{
    echo "error: $*" >&2
    exit 1
}

ns()
{
    echo "$prefix-$1"
}

in_ns()
{
    local n=$1
    shift
    ip netns exec "$(ns "$n")" "$@"
}

lab_namespaces()
{
    ip netns list 2> /dev/null | awk '{ print $1 }' | grep -E "^$prefix-(pub|ra|rb|a|b)\$" || true
}

set_defaults()
{
    cfg=([description]="" [expect]="" [nat_a]=easy [nat_b]=easy [udp_a]=allow [udp_b]=allow
        [lan_a]=192.168.10 [lan_b]=192.168.20 [wan_a]=off [wan_b]=off)
    local s
    for s in a b; do
        cfg[wan_${s}_delay_ms]=20
        cfg[wan_${s}_loss]=0
        cfg[wan_${s}_rate_mbit]=200
        cfg[wan_${s}_queue_bytes]=1000000
        cfg[wan_${s}_seed]=1
    done
}

# set_key KEY VALUE WHERE: validates and stores one key.
set_key()
{
    local k=$1 v=$2 where=$3 known=0 x
    for x in "${keys[@]}"; do
        [ "$x" = "$k" ] && known=1
    done
    [ "$known" -eq 1 ] || die "$where: unknown key '$k'"
    local num='^[0-9]+([.][0-9]+)?$'
    case "$k" in
        description) ;;
        expect) [[ "$v" =~ ^(direct|relay)$ ]] || die "$where: expect must be direct or relay" ;;
        nat_?) [[ "$v" =~ ^(easy|symmetric)$ ]] || die "$where: $k must be easy or symmetric" ;;
        udp_?) [[ "$v" =~ ^(allow|block)$ ]] || die "$where: $k must be allow or block" ;;
        wan_?) [[ "$v" =~ ^(on|off)$ ]] || die "$where: $k must be on or off" ;;
        lan_?)
            [[ "$v" =~ ^(10\.[0-9]{1,3}|172\.(1[6-9]|2[0-9]|3[01])|192\.168)\.[0-9]{1,3}$ ]] \
                || die "$where: $k must be the first three octets of a private /24"
            ;;
        *_queue_bytes|*_seed) [[ "$v" =~ ^[0-9]+$ ]] || die "$where: $k must be an integer" ;;
        *) [[ "$v" =~ $num ]] || die "$where: $k must be a number" ;;
    esac
    cfg[$k]=$v
}

load_scenario()
{
    local name=$1 file line n=0
    [[ "$name" =~ ^[A-Za-z0-9_.-]+$ ]] || die "bad scenario name '$name'"
    file=$here/scenarios/$name.conf
    [ -f "$file" ] || die "no scenario $name (lab.sh list)"
    set_defaults
    while IFS= read -r line || [ -n "$line" ]; do
        n=$((n + 1))
        line=${line%%#*}
        line=$(sed -e 's/^[[:space:]]*//' -e 's/[[:space:]]*$//' <<< "$line")
        [ -z "$line" ] && continue
        [[ "$line" == *=* ]] || die "$file:$n: expected KEY=VALUE"
        set_key "${line%%=*}" "${line#*=}" "$file:$n"
    done < "$file"
    [ -n "${cfg[expect]}" ] || die "$file: expect= is required"
    [ "${cfg[lan_a]}" != "${cfg[lan_b]}" ] || die "$file: lan_a and lan_b must differ"
}

# wait_ready LOG PID SECONDS: true once LOG has "wanem ready" while PID lives.
wait_ready()
{
    local deadline=$((SECONDS + $3))
    while [ "$SECONDS" -lt "$deadline" ]; do
        grep -q '^wanem ready' "$1" 2> /dev/null && return 0
        kill -0 "$2" 2> /dev/null || return 1
        sleep 0.02
    done
    return 1
}

# link_router SIDE IDX: router X's uplink to pub, as veth or through wanem.
link_router()
{
    local s=$1 idx=$2 r=r$1
    local wan_ip=$pub_net.$idx
    if [ "${cfg[wan_$s]}" = on ]; then
        local wanem
        wanem=$("$here/../wan/build.sh") || fail "cannot build wanem (see above)"
        local log=$state/wanem-$s.log
        # Inside the router's namespace (so `down` finds it with `ip netns pids`); the B device goes to pub.
        setsid ip netns exec "$(ns "$r")" "$wanem" --a wan0 --b "to-$r" --b-netns "$(ns pub)" \
            --delay-ms "${cfg[wan_${s}_delay_ms]}" --loss "${cfg[wan_${s}_loss]}" \
            --rate-mbit "${cfg[wan_${s}_rate_mbit]}" --queue-bytes "${cfg[wan_${s}_queue_bytes]}" \
            --seed "${cfg[wan_${s}_seed]}" < /dev/null > "$log" 2>&1 &
        local pid=$!
        echo "$pid" > "$state/wanem-$s.pid"
        wait_ready "$log" "$pid" 10 || fail "wanem for $r did not start: $(cat "$log")"
    else
        ip link add wan0 netns "$(ns "$r")" type veth peer name "to-$r" netns "$(ns pub)"
        in_ns "$r" ip link set wan0 up
        in_ns pub ip link set "to-$r" up
    fi
    in_ns "$r" ip addr add "$wan_ip" peer "$pub_gw" dev wan0
    in_ns pub ip addr add "$pub_gw" peer "$wan_ip" dev "to-$r"
    in_ns "$r" ip route add default via "$pub_gw" dev wan0
}

# link_host SIDE: host X on its router's LAN.
link_host()
{
    local s=$1 lan=${cfg[lan_$1]}
    ip link add eth0 netns "$(ns "$s")" type veth peer name lan0 netns "$(ns "r$s")"
    in_ns "$s" ip addr add "$lan.2/24" dev eth0
    in_ns "r$s" ip addr add "$lan.1/24" dev lan0
    in_ns "$s" ip link set eth0 up
    in_ns "r$s" ip link set lan0 up
    in_ns "$s" ip route add default via "$lan.1"
}

# nat_router SIDE: the router's nftables ruleset.
nat_router()
{
    local s=$1 masq=masquerade udp_rule=""
    [ "${cfg[nat_$s]}" = symmetric ] && masq="masquerade random,fully-random"
    [ "${cfg[udp_$s]}" = block ] && udp_rule="meta l4proto udp counter drop"
    in_ns "r$s" nft -f - <<EOF
table ip dhlab {
    chain postrouting {
        type nat hook postrouting priority srcnat; policy accept;
        oifname "wan0" $masq
    }
    chain forward {
        type filter hook forward priority filter; policy drop;
        $udp_rule
        iifname "lan0" oifname "wan0" accept
        iifname "wan0" oifname "lan0" ct state established,related accept
        counter
    }
    chain input {
        type filter hook input priority filter; policy accept;
        iifname "wan0" ct state established,related accept
        iifname "wan0" counter drop
    }
}
EOF
}

cmd_up()
{
    [ $# -ge 1 ] || die "up needs a scenario (lab.sh list)"
    local name=$1 kv
    shift
    load_scenario "$name"
    for kv in "$@"; do
        [[ "$kv" == *=* ]] || die "override '$kv' is not KEY=VALUE"
        set_key "${kv%%=*}" "${kv#*=}" "override"
    done
    [ "$(id -u)" -eq 0 ] || die "lab.sh needs root (network namespaces, nftables, TUN)"
    local tool
    for tool in ip nft setsid sysctl; do
        command -v "$tool" > /dev/null || die "$tool is required (apt-get install iproute2 nftables util-linux procps)"
    done
    if [ -n "$(lab_namespaces)" ] || [ -e "$state/scenario" ]; then
        fail "a lab ($prefix) is already up; run lab.sh down first"
    fi
    mkdir -p "$state"
    # Any failure from here on (a failed command under set -e, or fail) tears down what was built.
    up_done=0
    trap 'if [ "$up_done" -eq 0 ]; then echo "up failed; tearing down" >&2; cmd_down > /dev/null 2>&1 || true; fi' EXIT
    local n
    for n in pub ra rb a b; do
        ip netns add "$(ns "$n")"
        in_ns "$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
        in_ns "$n" ip link set lo up
    done
    for n in pub ra rb; do
        in_ns "$n" sysctl -qw net.ipv4.ip_forward=1
    done
    # The relay's address lives on pub's loopback (this kernel has no dummy interfaces).
    in_ns pub ip addr add "$relay_ip/32" dev lo
    link_router a 1
    link_router b 2
    link_host a
    link_host b
    nat_router a
    nat_router b
    {
        echo "scenario=$name"
        for kv in "${keys[@]}"; do
            echo "$kv=${cfg[$kv]}"
        done
    } > "$state/scenario"
    cat > "$state/env" <<EOF
LAB_SCENARIO=$name
LAB_EXPECT=${cfg[expect]}
LAB_RELAY_IP=$relay_ip
LAB_A_IP=${cfg[lan_a]}.2
LAB_B_IP=${cfg[lan_b]}.2
LAB_A_WAN_IP=$pub_net.1
LAB_B_WAN_IP=$pub_net.2
LAB_NS_RELAY=$(ns pub)
LAB_NS_A=$(ns a)
LAB_NS_B=$(ns b)
LAB_NS_RA=$(ns ra)
LAB_NS_RB=$(ns rb)
EOF
    up_done=1
    echo "lab $prefix up: $name (expect=${cfg[expect]})"
}

# kill_ns_pids NS: TERM every process in namespace NS (all started by the lab or inside it), then KILL.
kill_ns_pids()
{
    local pids i
    pids=$(ip netns pids "$1" 2> /dev/null || true)
    [ -z "$pids" ] && return 0
    kill -TERM $pids 2> /dev/null || true
    for ((i = 0; i < 40; i++)); do
        pids=$(ip netns pids "$1" 2> /dev/null || true)
        [ -z "$pids" ] && return 0
        sleep 0.05
    done
    kill -KILL $pids 2> /dev/null || true
    sleep 0.1
}

# alive PID: true while PID runs (a zombie waiting for its parent to reap it counts as gone).
alive()
{
    local st
    st=$(awk '{ print $3 }' "/proc/$1/stat" 2> /dev/null) || return 1
    [ -n "$st" ] && [ "$st" != Z ]
}

cmd_down()
{
    local n f pid i wanem_pids=()
    # wanem by its pid file as well, in case it is somehow outside the namespaces (it never is by design).
    for f in "$state"/wanem-*.pid; do
        [ -f "$f" ] || continue
        pid=$(cat "$f")
        if [[ "$pid" =~ ^[0-9]+$ ]] && [ "$(cat "/proc/$pid/comm" 2> /dev/null)" = wanem ]; then
            kill -TERM "$pid" 2> /dev/null || true
            wanem_pids+=("$pid")
        fi
    done
    for n in $(lab_namespaces); do
        kill_ns_pids "$n"
    done
    # A process that has begun exiting drops out of `ip netns pids` before it is gone: wait for wanem itself.
    for pid in "${wanem_pids[@]}"; do
        for ((i = 0; i < 60 && $(alive "$pid" && echo 1 || echo 0); i++)); do
            sleep 0.05
        done
        alive "$pid" && kill -KILL "$pid" 2> /dev/null || true
    done
    for n in $(lab_namespaces); do
        ip netns del "$n" 2> /dev/null || true
    done
    rm -rf "$state"
    [ -z "$(lab_namespaces)" ] || fail "namespaces left: $(lab_namespaces | tr '\n' ' ')"
    echo "lab $prefix down"
}

host_ns()
{
    case "$1" in
        relay|pub) ns pub ;;
        a|b|ra|rb) ns "$1" ;;
        *) die "unknown host '$1' (relay, a, b, ra, rb)" ;;
    esac
}

cmd_exec()
{
    [ $# -ge 2 ] || die "exec needs HOST and a command"
    local n
    n=$(host_ns "$1")
    shift
    ip netns list | awk '{ print $1 }' | grep -qx "$n" || fail "lab is not up ($n missing)"
    exec ip netns exec "$n" "$@"
}

cmd_addr()
{
    [ $# -eq 1 ] || die "addr needs one NAME"
    [ -f "$state/env" ] || fail "lab is not up"
    # shellcheck disable=SC1091
    . "$state/env"
    case "$1" in
        relay) echo "$LAB_RELAY_IP" ;;
        a) echo "$LAB_A_IP" ;;
        b) echo "$LAB_B_IP" ;;
        a-wan) echo "$LAB_A_WAN_IP" ;;
        b-wan) echo "$LAB_B_WAN_IP" ;;
        *) die "unknown address name '$1' (relay, a, b, a-wan, b-wan)" ;;
    esac
}

cmd_status()
{
    if [ ! -f "$state/scenario" ]; then
        echo "lab $prefix: down"
        [ -z "$(lab_namespaces)" ] || echo "leftover namespaces: $(lab_namespaces | tr '\n' ' ') (lab.sh down)"
        return 0
    fi
    echo "lab $prefix: up ($state)"
    sed 's/^/  /' "$state/scenario"
    local n f pid
    for n in $(lab_namespaces); do
        echo "$n: $(ip -n "$n" -br -4 addr show | awk '$1 != "lo" { printf "%s %s  ", $1, $3 }')"
    done
    for f in "$state"/wanem-*.pid; do
        [ -f "$f" ] || continue
        pid=$(cat "$f")
        if kill -USR1 "$pid" 2> /dev/null; then
            sleep 0.1
            echo "wanem pid $pid: $(grep 'wanem stats' "${f%.pid}.log" | tail -n 2 | tr '\n' ' ')"
        else
            echo "wanem pid $pid: not running"
        fi
    done
}

cmd_list()
{
    local f
    for f in "$here"/scenarios/*.conf; do
        printf '%-24s %s\n' "$(basename "$f" .conf)" "$(sed -n 's/^description=//p' "$f" | head -n 1)"
    done
}

[ $# -ge 1 ] || { usage >&2; exit 2; }
command=$1
shift
case "$command" in
    -h|--help) usage ;;
    up) cmd_up "$@" ;;
    down) cmd_down ;;
    exec) cmd_exec "$@" ;;
    addr) cmd_addr "$@" ;;
    status) cmd_status ;;
    list) cmd_list ;;
    *) die "unknown command $command (see --help)" ;;
esac
