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

  Routers (nftables table `ip dhlab`): masquerade of the LAN's packets on wan0 (nat_X=easy: port-preserving,
  endpoint-independent mapping; nat_X=symmetric: `masquerade random,fully-random`, a new random port per
  destination = endpoint-dependent); forward accepts LAN -> WAN and established/related WAN -> LAN only
  (unsolicited inbound dropped, address-and-port-dependent filtering); input from wan0 accepts
  established/related only, so a probe arriving before the hole is punched is dropped unconfirmed and cannot
  steal the port; udp_X=block drops all forwarded UDP (the host keeps TCP and ICMP: relay only).

  Port mapping (portmap_X=on): router X also runs miniupnpd (Debian miniupnpd-nftables 2.3.1) in its namespace,
  like a home router with UPnP IGD and NAT-PMP/PCP: LAN side lan0 (NAT-PMP/PCP on LAN_X.1:5351, SSDP on lan0,
  UPnP control on http://LAN_X.1:2869/rootDesc.xml), WAN side wan0, secure mode (a host maps only its own
  address), external and internal ports 1024-65535 for the LAN /24 only. Its config, pid, lease file and log
  are in $DHLAB_STATE_DIR (miniupnpd-X.*). miniupnpd 2.3.1 creates no nftables objects itself: it adds rules
  to chains that must exist, all in family inet, so the lab creates table `inet miniupnpd`:
    prerouting (nat, priority dstnat) -> jump prerouting_miniupnpd: one rule per mapping,
        `iif "wan0" @nh,72,8 0x11 th dport EPORT dnat ip to HOST:IPORT` (0x11 = UDP, 0x6 = TCP)
    forward (filter, policy accept) -> new DNATed WAN -> LAN flows jump miniupnpd, else drop; chain
        miniupnpd holds one accept per mapping (`iif "wan0" th dport IPORT ip daddr HOST ... accept`, with
        the remote host when a UPnP mapping names one)
    postrouting (nat, priority srcnat - 1) -> jump postrouting_miniupnpd: SNAT rules of PCP PEER requests
  `ip dhlab` then accepts DNATed flows in its forward chain (`ct status dnat accept`: both tables' forward
  chains must accept). miniupnpd adds no SNAT for a mapping, so a symmetric router would send the mapped
  host's own packets from a random port; real routers keep a mapping symmetric, and so does the lab: a
  watcher (lab.sh _portmap-sync, on `nft monitor`) copies every DNAT rule into map @portmap_snat of
  `ip dhlab` (proto . HOST . IPORT : WAN_X . EPORT), and postrouting SNATs flows from HOST:IPORT to
  WAN_X:EPORT before the masquerade; a deleted mapping leaves the map too. The copy lags the NAT-PMP/UPnP
  answer (up to 300 ms measured on a loaded 2-core machine: a host that sends at once sends its first
  packets from the router's usual port), so the watcher also deletes HOST:IPORT's conntrack entries that
  bypass the mapping (older flows, or ones started in that moment): their next packet starts a flow through
  the mapping. So in the lab the order of mapping and sending does not matter: once the copy is made, every
  flow of a mapped port uses the mapping. A real router does not re-home: a flow from HOST:IPORT to a
  peer Y:YP started before the mapping keeps its old port as long as packets keep it alive (UDP: 30 s
  without an answer, 120 s once assured), and Y's packets to WAN_X:EPORT, DNATed to HOST:IPORT, clash with
  it: conntrack still delivers them, with the source rewritten to Y:<another port>; HOST's answers to that
  source leave from WAN_X:EPORT to Y:YP, while what HOST sends to Y:YP itself keeps the old port. Clients
  should therefore map a port before sending from it, and answer peers at the address packets came from.
  The watcher changes the ruleset only while miniupnpd is idle (see pm_nft): miniupnpd 2.3.1 breaks for
  good when the ruleset changes during one of its multi-message netlink dumps (from about 20 mappings on).
  miniupnpd only serves a public external address, and 203.0.113.0/24 is reserved (TEST-NET-3): at start
  the daemon asks a one-shot STUN responder on 203.0.113.254:3478 (natprobe.py stun in pub, gone when `up`
  returns), which tells it that WAN_X is its own unfiltered address. Clients see the external address
  203.0.113.X; one that rejects reserved external addresses (miniupnpc's upnpc does: use upnpc -i) refuses it.
  portmap_delay_X=SECONDS starts router X's watcher and miniupnpd that long after `up` returns (a router whose
  mapping service comes up late, or a client whose first attempt found no gateway): until then the router
  answers NAT-PMP/PCP with ICMP port unreachable and SSDP with silence. A launcher (lab.sh _portmap-late, in
  pub's namespace so that `down` ends it) sleeps, then starts the one-shot STUN responder, the watcher and
  miniupnpd as `up` would, and logs "portmap-late: miniupnpd in rX up after N s" to
  $DHLAB_STATE_DIR/portmap-late.log.

Scenario files (scenarios/*.conf): one KEY=VALUE per line, `#` starts a comment, no quoting. Keys (defaults):
  description=TEXT
  expect=direct|relay           the path derphole must end on (required)
  nat_a=easy|symmetric (easy)   nat_b likewise
  udp_a=allow|block (allow)     udp_b likewise
  lan_a=192.168.10  lan_b=192.168.20   first three octets of the /24 LANs (must differ from 203.0.113)
  portmap_a=off|on (off)        portmap_b likewise: router runs miniupnpd (UPnP IGD, NAT-PMP, PCP), see above
  portmap_delay_a=0 (0)         portmap_delay_b likewise: seconds (integer, 0-60) after `up` before the router's
                                miniupnpd starts (needs portmap_X=on), see above
  wan_a=off|on (off)            wan_b likewise; with on:
  wan_a_delay_ms=20  wan_a_loss=0  wan_a_rate_mbit=200  wan_a_queue_bytes=1000000  wan_a_seed=1
                                one-way delay (ms), random loss per direction (%), rate (Mbit/s of IP bytes,
                                0 = unlimited), tail-drop queue (bytes), loss seed; same keys for b

Environment: DHLAB_PREFIX (default dhlab, [a-z0-9]{1,8}), DHLAB_STATE_DIR (default /run/$DHLAB_PREFIX).
After `up`, $DHLAB_STATE_DIR/env holds LAB_* shell variables (addresses, namespaces, expect, the routers' LAN
addresses LAB_X_GW, LAB_X_PORTMAP=on|off and LAB_X_PORTMAP_DELAY) for scripts.
Needs root, iproute2, nftables, and for wan scenarios a C compiler (wanem is built on demand); for portmap
scenarios miniupnpd (apt-get install miniupnpd-nftables: only that package, whose install starts nothing),
conntrack and python3.
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
# portmap_X=on: miniupnpd's UPnP control port on the router's LAN address, and the one-shot STUN responder
# it asks at start (on pub_gw, only while `up` runs).
upnp_http_port=2869
stun_port=3478
miniupnpd=
# Ports the lab's own probes use on the relay address (selftest.sh); derphole picks its own.
keys=(description expect nat_a nat_b udp_a udp_b lan_a lan_b portmap_a portmap_b portmap_delay_a portmap_delay_b
    wan_a wan_b
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
        [lan_a]=192.168.10 [lan_b]=192.168.20 [portmap_a]=off [portmap_b]=off [portmap_delay_a]=0
        [portmap_delay_b]=0 [wan_a]=off [wan_b]=off)
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
        wan_?|portmap_?) [[ "$v" =~ ^(on|off)$ ]] || die "$where: $k must be on or off" ;;
        portmap_delay_?)
            [[ "$v" =~ ^[0-9]{1,2}$ ]] && [ "$v" -le 60 ] || die "$where: $k must be whole seconds, 0 to 60"
            ;;
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

# nat_router SIDE: the router's nftables ruleset (and with portmap_X=on the table miniupnpd writes to).
nat_router()
{
    local s=$1 masq=masquerade udp_rule="" lan=${cfg[lan_$1]}
    [ "${cfg[nat_$s]}" = symmetric ] && masq="masquerade random,fully-random"
    [ "${cfg[udp_$s]}" = block ] && udp_rule="meta l4proto udp counter drop"
    local pm_objects="" pm_snat="" pm_forward=""
    if [ "${cfg[portmap_$s]}" = on ]; then
        pm_objects="map portmap_snat { type inet_proto . ipv4_addr . inet_service : ipv4_addr . inet_service; }
    chain portmap_probe { }"
        pm_snat="oifname \"wan0\" meta l4proto { tcp, udp }"
        pm_snat+=" snat ip to meta l4proto . ip saddr . th sport map @portmap_snat"
        pm_forward="iifname \"wan0\" oifname \"lan0\" ct status dnat accept"
    fi
    # Only the LAN's packets are masqueraded: the router's own (miniupnpd's STUN) keep their port.
    in_ns "r$s" nft -f - <<EOF
table ip dhlab {
    $pm_objects
    chain postrouting {
        type nat hook postrouting priority srcnat; policy accept;
        $pm_snat
        oifname "wan0" ip saddr $lan.0/24 $masq
    }
    chain forward {
        type filter hook forward priority filter; policy drop;
        $udp_rule
        iifname "lan0" oifname "wan0" accept
        iifname "wan0" oifname "lan0" ct state established,related accept
        $pm_forward
        counter
    }
    chain input {
        type filter hook input priority filter; policy accept;
        iifname "wan0" ct state established,related accept
        iifname "wan0" counter drop
    }
}
EOF
    [ "${cfg[portmap_$s]}" = on ] || return 0
    # What Debian's nft_init.sh would create for miniupnpd, in a table of its own (see --help).
    in_ns "r$s" nft -f - <<EOF
table inet miniupnpd {
    chain prerouting {
        type nat hook prerouting priority dstnat; policy accept;
        iifname "wan0" jump prerouting_miniupnpd
    }
    chain prerouting_miniupnpd { }
    chain postrouting {
        type nat hook postrouting priority srcnat - 1; policy accept;
        oifname "wan0" jump postrouting_miniupnpd
    }
    chain postrouting_miniupnpd { }
    chain forward {
        type filter hook forward priority filter; policy accept;
        iifname "wan0" oifname "lan0" ct status dnat ct state new jump miniupnpd
        iifname "wan0" oifname "lan0" ct status dnat ct state new counter drop
    }
    chain miniupnpd { }
}
EOF
}

# wait_log LOG PATTERN PID SECONDS: true once LOG has a line matching PATTERN (grep -E) while PID lives.
wait_log()
{
    local deadline=$((SECONDS + $4))
    while [ "$SECONDS" -lt "$deadline" ]; do
        grep -qE "$2" "$1" 2> /dev/null && return 0
        kill -0 "$3" 2> /dev/null || return 1
        sleep 0.02
    done
    return 1
}

# start_portmap SIDE IDX: the SNAT watcher, then miniupnpd, inside router X (the STUN responder runs meanwhile).
start_portmap()
{
    local s=$1 r=r$1 lan=${cfg[lan_$1]} wan_ip=$pub_net.$2
    local log=$state/portmap-sync-$s.log
    setsid ip netns exec "$(ns "$r")" env DHLAB_PREFIX="$prefix" DHLAB_STATE_DIR="$state" \
        bash "$here/lab.sh" _portmap-sync "$wan_ip" "$state/miniupnpd-$s.pid" < /dev/null > "$log" 2>&1 &
    local pid=$!
    echo "$pid" > "$state/portmap-sync-$s.pid"
    wait_log "$log" '^portmap-sync ready' "$pid" 10 || fail "SNAT watcher for $r did not start: $(cat "$log")"

    local conf=$state/miniupnpd-$s.conf uuid=6a1b2c3d-0000-4000-8000-00000000000$s
    cat > "$conf" <<EOF
# miniupnpd of router $r (lab.sh, portmap_$s=on): a home router's UPnP IGD and NAT-PMP/PCP.
ext_ifname=wan0
listening_ip=lan0
http_port=$upnp_http_port
enable_natpmp=yes
enable_upnp=yes
secure_mode=yes
ipv6_disable=yes
system_uptime=no
notify_interval=60
clean_ruleset_interval=600
friendly_name=dhlab router $r
uuid=$uuid
ext_perform_stun=yes
ext_stun_host=$pub_gw
ext_stun_port=$stun_port
upnp_table_name=miniupnpd
upnp_nat_table_name=miniupnpd
upnp_forward_chain=miniupnpd
upnp_nat_chain=prerouting_miniupnpd
upnp_nat_postrouting_chain=postrouting_miniupnpd
lease_file=$state/miniupnpd-$s.leases
allow 1024-65535 $lan.0/24 1024-65535
deny 0-65535 0.0.0.0/0 0-65535
EOF
    log=$state/miniupnpd-$s.log
    # -d: stay in the foreground (the pid is ours, inside the namespace, so `down` finds it) and log to stderr.
    setsid ip netns exec "$(ns "$r")" "$miniupnpd" -d -f "$conf" -P "$state/miniupnpd-$s.pid" \
        < /dev/null > "$log" 2>&1 &
    pid=$!
    wait_log "$log" 'Listening for NAT-PMP/PCP traffic' "$pid" 10 \
        || fail "miniupnpd in $r did not start: $(grep -v table_cb "$log" | tail -n 5)"
    grep -q 'Port forwarding is now enabled' "$log" \
        || fail "miniupnpd in $r has port forwarding disabled: $(grep -iE 'stun|forward' "$log" | tail -n 5)"
}

# start_portmaps: miniupnpd on every router with portmap_X=on, each asking the one-shot STUN responder first.
start_portmaps()
{
    now_portmap a || now_portmap b || return 0
    local log=$state/stun.log
    ip netns exec "$(ns pub)" python3 "$here/natprobe.py" stun --bind "$pub_gw" --port "$stun_port" \
        --timeout 20 < /dev/null > "$log" 2>&1 &
    local stun_pid=$!
    wait_log "$log" '^stun ready' "$stun_pid" 10 || fail "STUN responder did not start: $(cat "$log")"
    ! now_portmap a || start_portmap a 1
    ! now_portmap b || start_portmap b 2
    kill "$stun_pid" 2> /dev/null || true
    wait "$stun_pid" 2> /dev/null || true
}

# now_portmap SIDE: true when router SIDE runs miniupnpd from `up` on (portmap_X=on, no delay).
now_portmap()
{
    [ "${cfg[portmap_$1]}" = on ] && [ "${cfg[portmap_delay_$1]}" -eq 0 ]
}

# start_late_portmaps: with portmap_delay_X > 0, the launcher that starts those routers' miniupnpd later.
start_late_portmaps()
{
    [ "${cfg[portmap_delay_a]}" -gt 0 ] || [ "${cfg[portmap_delay_b]}" -gt 0 ] || return 0
    # In pub's namespace (down ends every process there); it starts the STUN responder there and the rest in
    # the routers' namespaces, one side at a time, so that the responder's port is never taken twice.
    setsid ip netns exec "$(ns pub)" env DHLAB_PREFIX="$prefix" DHLAB_STATE_DIR="$state" \
        bash "$here/lab.sh" _portmap-late < /dev/null > "$state/portmap-late.log" 2>&1 &
    echo "$!" > "$state/portmap-late.pid"
}

# cmd_portmap_late (internal, runs in pub's namespace): after each delayed router's delay (counted from now, in
# the order of the delays), starts its watcher and miniupnpd with the STUN responder running meanwhile.
cmd_portmap_late()
{
    local t0=$SECONDS line s order=() stun_pid log=$state/stun-late.log
    set_defaults
    while IFS= read -r line; do
        [ "${line%%=*}" = scenario ] || cfg[${line%%=*}]=${line#*=}
    done < "$state/scenario"
    miniupnpd=$(command -v miniupnpd || echo /usr/sbin/miniupnpd)
    if [ "${cfg[portmap_delay_a]}" -le "${cfg[portmap_delay_b]}" ]; then
        order=(a b)
    else
        order=(b a)
    fi
    for s in "${order[@]}"; do
        [ "${cfg[portmap_$s]}" = on ] && [ "${cfg[portmap_delay_$s]}" -gt 0 ] || continue
        while [ $((SECONDS - t0)) -lt "${cfg[portmap_delay_$s]}" ]; do
            sleep 0.1
        done
        python3 "$here/natprobe.py" stun --bind "$pub_gw" --port "$stun_port" --timeout 20 < /dev/null \
            > "$log" 2>&1 &
        stun_pid=$!
        wait_log "$log" '^stun ready' "$stun_pid" 10 || fail "STUN responder did not start: $(cat "$log")"
        start_portmap "$s" "$([ "$s" = a ] && echo 1 || echo 2)"
        kill "$stun_pid" 2> /dev/null || true
        wait "$stun_pid" 2> /dev/null || true
        echo "portmap-late: miniupnpd in r$s up after $((SECONDS - t0)) s"
    done
}

# rehome_flows PROTO HOST IPORT EPORT (portmap-sync): deletes HOST:IPORT's conntrack entries that do not use
# the new mapping: outgoing ones translated to a port other than EPORT (created before the mapping, or in the
# moment before the SNAT element existed), and incoming ones whose source port conntrack rewrote because they
# clashed with such an outgoing one. The next packet of each flow creates a new entry through the mapping.
rehome_flows()
{
    local proto=$1 host=$2 iport=$3 eport=$4 line n=0 table=/proc/net/nf_conntrack
    local re=" $proto +[0-9]+ [0-9]+ ([A-Z_]+ )?src=([0-9.]+) dst=([0-9.]+) sport=([0-9]+) dport=([0-9]+) "
    re+="(\[[A-Z]+\] )?src=([0-9.]+) dst=([0-9.]+) sport=([0-9]+) dport=([0-9]+)"
    [ -r "$table" ] || table=<(conntrack -L 2> /dev/null)
    while IFS= read -r line; do
        [[ " $line" =~ $re ]] || continue
        local os=${BASH_REMATCH[2]} od=${BASH_REMATCH[3]} osp=${BASH_REMATCH[4]} odp=${BASH_REMATCH[5]}
        local rs=${BASH_REMATCH[7]} rsp=${BASH_REMATCH[9]} rdp=${BASH_REMATCH[10]}
        if { [ "$os" = "$host" ] && [ "$osp" = "$iport" ] && [ "$rdp" != "$eport" ]; } \
            || { [ "$rs" = "$host" ] && [ "$rsp" = "$iport" ] && [ "$os" != "$host" ] \
                && [ "$rdp" != "$osp" ]; }; then
            conntrack -D -p "$proto" --orig-src "$os" --orig-dst "$od" --orig-port-src "$osp" \
                --orig-port-dst "$odp" > /dev/null 2>&1 && n=$((n + 1))
        fi
    done < "$table"
    [ "$n" -eq 0 ] || echo "portmap-sync: deleted $n conntrack entries of $proto $host:$iport"
}

# pm_nft ARGS... (portmap-sync): runs `nft ARGS` while miniupnpd sits idle in select(), stopped (SIGSTOP) for
# that moment. miniupnpd 2.3.1 reads its chains with netlink dumps; once a chain needs more than one message
# (about 20 mappings), a ruleset change during the dump interrupts it, the daemon leaves the rest of the dump
# unread and never recovers (every later request fails: "mnl_cb_run returned -1"). Idle means blocked in
# select/pselect6 (x86_64: 23/270, aarch64: 72), or a wait channel in poll_schedule_timeout/do_select.
pm_nft()
{
    local pid="" comm="" i j st sc wchan rc
    # Builtins only (no process per look): the copy should beat the mapped host's first packet.
    read -r pid < "$pm_pidfile" 2> /dev/null || true
    [[ "$pid" =~ ^[0-9]+$ ]] && { read -r comm < "/proc/$pid/comm"; } 2> /dev/null
    if [ "$comm" != miniupnpd ]; then
        nft "$@"
        return
    fi
    for ((i = 0; i < 200; i++)); do
        kill -STOP "$pid" 2> /dev/null || { nft "$@"; return; }
        for ((j = 0; j < 100; j++)); do
            st=()
            { read -r -a st < "/proc/$pid/stat"; } 2> /dev/null || true
            [ "${st[2]:-}" = T ] || [ -z "${st[2]:-}" ] && break
            sleep 0.001
        done
        sc=""
        wchan=""
        { read -r sc _ < "/proc/$pid/syscall"; } 2> /dev/null || true
        { read -r wchan < "/proc/$pid/wchan"; } 2> /dev/null || true
        if [[ " $pm_idle_syscalls " == *" $sc "* ]] || [[ "$wchan" =~ poll_schedule_timeout|do_select ]]; then
            rc=0
            nft "$@" || rc=$?
            kill -CONT "$pid" 2> /dev/null || true
            return "$rc"
        fi
        kill -CONT "$pid" 2> /dev/null || true
        sleep 0.005
    done
    echo "portmap-sync: miniupnpd never idle; changing the ruleset anyway" >&2
    nft "$@"
}

# portmap_reconcile (portmap-sync): makes map @portmap_snat equal to miniupnpd's DNAT rules (one transaction)
# and re-homes the flows of every mapping that is new in it. Two mappings of one internal port: the older one
# (listed first) keeps the SNAT.
portmap_reconcile()
{
    local rule key proto host iport batch="flush map $pm_map" added=()
    declare -A want=()
    while IFS= read -r rule; do
        [[ "$rule" =~ $pm_rule_re ]] || continue
        proto=udp
        [ "${BASH_REMATCH[1]}" = 6 ] && proto=tcp
        key="$proto . ${BASH_REMATCH[3]} . ${BASH_REMATCH[4]}"
        [ -n "${want[$key]:-}" ] && continue
        want[$key]=${BASH_REMATCH[2]}
        batch+=$'\n'"add element $pm_map { $key : $pm_wan_ip . ${BASH_REMATCH[2]} }"
    done < <(nft list chain $pm_chain)
    local same=1
    [ "${#want[@]}" -eq "${#pm_have[@]}" ] || same=0
    for key in "${!want[@]}"; do
        [ "${pm_have[$key]:-}" = "${want[$key]}" ] || { same=0; added+=("$key"); }
    done
    [ "$same" -eq 0 ] || return 0
    pm_nft -f - <<< "$batch" || { echo "portmap-sync: cannot rebuild the map" >&2; return 0; }
    pm_have=()
    for key in "${!want[@]}"; do
        pm_have[$key]=${want[$key]}
    done
    echo "portmap-sync: map = {$(for key in "${!want[@]}"; do printf ' %s : %s;' "$key" "${want[$key]}"; done) }"
    for key in "${added[@]}"; do
        read -r proto _ host _ iport <<< "$key"
        rehome_flows "$proto" "$host" "$iport" "${want[$key]}"
        pm_recheck+=("$key")
    done
}

# cmd_portmap_sync WAN_IP PIDFILE (internal, runs inside a router; PIDFILE is miniupnpd's): keeps map
# @portmap_snat of `ip dhlab` equal to miniupnpd's DNAT rules, so flows from a mapped HOST:IPORT leave from
# WAN_IP:EPORT. `nft monitor` reports every rule miniupnpd adds or deletes: an added rule is copied into the
# map at once and the host's flows re-homed (rehome_flows, again at the next quiet moment); any other change
# of the chain (a deletion names only the handle), and every 2 s of quiet, reconcile the map with the chain.
cmd_portmap_sync()
{
    # A failing command (e.g. an nft call racing miniupnpd) is logged; the watcher carries on.
    set +e
    pm_wan_ip=$1
    pm_pidfile=$2
    case "$(uname -m)" in
        x86_64) pm_idle_syscalls="23 270" ;;
        aarch64) pm_idle_syscalls="72" ;;
        *) pm_idle_syscalls="" ;;
    esac
    # Never leave miniupnpd stopped.
    trap 'pid=$(cat "$pm_pidfile" 2> /dev/null) && kill -CONT "$pid" 2> /dev/null; exit 0' TERM INT
    pm_chain="inet miniupnpd prerouting_miniupnpd"
    pm_map="ip dhlab portmap_snat"
    pm_rule_re='@nh,72,8 0x0*(11|6) th dport ([0-9]+) dnat ip to ([0-9.]+):([0-9]+)'
    declare -gA pm_have=()
    # Mappings to re-home once more at the next quiet moment: a packet that was between conntrack lookup and
    # NAT while rehome_flows read the table got its entry (with the old port) only afterwards.
    pm_recheck=()
    local line="" part rc ready=0 idle=0 proto key host iport eport
    exec 4< <(exec nft -a monitor rules)
    while true; do
        rc=0
        IFS= read -r -t 0.1 part <&4 || rc=$?
        line+=$part
        if [ "$rc" -gt 128 ]; then
            # Timed out (a partial line stays in $line for the next read).
            idle=$((idle + 1))
            if [ "$ready" -eq 0 ]; then
                # The monitor subscribes asynchronously: probe until it reports our own rule (10 s at most).
                [ "$idle" -le 100 ] || { echo "portmap-sync: nft monitor reports nothing" >&2; return 1; }
                nft add rule ip dhlab portmap_probe counter
            elif [ "${#pm_recheck[@]}" -gt 0 ]; then
                for key in "${pm_recheck[@]}"; do
                    read -r proto _ host _ iport <<< "$key"
                    [ -z "${pm_have[$key]:-}" ] || rehome_flows "$proto" "$host" "$iport" "${pm_have[$key]}"
                done
                pm_recheck=()
            elif [ $((idle % 20)) -eq 0 ]; then
                portmap_reconcile
            fi
            continue
        fi
        [ "$rc" -eq 0 ] || { echo "portmap-sync: nft monitor ended" >&2; return 1; }
        idle=0
        case "$line" in
            "add rule ip dhlab portmap_probe "*)
                if [ "$ready" -eq 0 ]; then
                    ready=1
                    nft flush chain ip dhlab portmap_probe
                    echo "portmap-sync ready"
                fi
                ;;
            "add rule $pm_chain "*)
                if [[ "$line" =~ $pm_rule_re ]]; then
                    proto=udp
                    [ "${BASH_REMATCH[1]}" = 6 ] && proto=tcp
                    host=${BASH_REMATCH[3]} iport=${BASH_REMATCH[4]} eport=${BASH_REMATCH[2]}
                    key="$proto . $host . $iport"
                    if [ -z "${pm_have[$key]:-}" ] \
                        && pm_nft add element $pm_map "{ $key : $pm_wan_ip . $eport }" 2> /dev/null; then
                        pm_have[$key]=$eport
                        echo "portmap-sync: + $key : $pm_wan_ip . $eport"
                        rehome_flows "$proto" "$host" "$iport" "$eport"
                        pm_recheck+=("$key")
                    else
                        portmap_reconcile
                    fi
                fi
                ;;
            *" $pm_chain "*) portmap_reconcile ;;
        esac
        line=""
    done
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
    for kv in a b; do
        [ "${cfg[portmap_delay_$kv]}" -eq 0 ] || [ "${cfg[portmap_$kv]}" = on ] \
            || die "portmap_delay_$kv needs portmap_$kv=on"
    done
    [ "$(id -u)" -eq 0 ] || die "lab.sh needs root (network namespaces, nftables, TUN)"
    local tool
    for tool in ip nft setsid sysctl; do
        command -v "$tool" > /dev/null || die "$tool is required (apt-get install iproute2 nftables util-linux procps)"
    done
    if [ "${cfg[portmap_a]}" = on ] || [ "${cfg[portmap_b]}" = on ]; then
        miniupnpd=$(command -v miniupnpd || echo /usr/sbin/miniupnpd)
        [ -x "$miniupnpd" ] || die "portmap needs miniupnpd (apt-get install miniupnpd-nftables)"
        command -v python3 > /dev/null || die "portmap needs python3 (apt-get install python3)"
        command -v conntrack > /dev/null || die "portmap needs conntrack (apt-get install conntrack)"
    fi
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
    start_portmaps
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
LAB_A_GW=${cfg[lan_a]}.1
LAB_B_GW=${cfg[lan_b]}.1
LAB_A_PORTMAP=${cfg[portmap_a]}
LAB_B_PORTMAP=${cfg[portmap_b]}
LAB_A_PORTMAP_DELAY=${cfg[portmap_delay_a]}
LAB_B_PORTMAP_DELAY=${cfg[portmap_delay_b]}
LAB_NS_RELAY=$(ns pub)
LAB_NS_A=$(ns a)
LAB_NS_B=$(ns b)
LAB_NS_RA=$(ns ra)
LAB_NS_RB=$(ns rb)
EOF
    start_late_portmaps
    up_done=1
    echo "lab $prefix up: $name (expect=${cfg[expect]})"
}

# kill_ns_pids NS: TERM every process in namespace NS (all started by the lab or inside it), then KILL. Adds
# "pid:comm" of each to ns_procs, for cmd_down to wait on.
kill_ns_pids()
{
    local pids i pid
    pids=$(ip netns pids "$1" 2> /dev/null || true)
    [ -z "$pids" ] && return 0
    for pid in $pids; do
        ns_procs+=("$pid:$(cat "/proc/$pid/comm" 2> /dev/null || true)")
    done
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
    # The late-portmap launcher first: once it is gone it starts nothing in a namespace already emptied.
    f=$state/portmap-late.pid
    if [ -f "$f" ]; then
        pid=$(cat "$f")
        if [[ "$pid" =~ ^[0-9]+$ ]] && [ "$(cat "/proc/$pid/comm" 2> /dev/null)" = bash ]; then
            kill -TERM "$pid" 2> /dev/null || true
            for ((i = 0; i < 40 && $(alive "$pid" && echo 1 || echo 0); i++)); do
                sleep 0.05
            done
            alive "$pid" && kill -KILL "$pid" 2> /dev/null || true
        fi
    fi
    ns_procs=()
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
    # Likewise for every other process that was inside (miniupnpd takes a while to exit): up to 3 s, then KILL
    # the ones still running under the same name (a recycled pid is left alone).
    local p deadline=$((SECONDS + 3))
    for p in "${ns_procs[@]}"; do
        pid=${p%%:*}
        while alive "$pid" && [ "$(cat "/proc/$pid/comm" 2> /dev/null)" = "${p#*:}" ] \
            && [ "$SECONDS" -lt "$deadline" ]; do
            sleep 0.05
        done
        if alive "$pid" && [ "$(cat "/proc/$pid/comm" 2> /dev/null)" = "${p#*:}" ]; then
            kill -KILL "$pid" 2> /dev/null || true
        fi
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
    for f in "$state"/miniupnpd-*.pid; do
        [ -f "$f" ] || continue
        pid=$(cat "$f")
        n=$(basename "$f" .pid)
        n=r${n#miniupnpd-}
        if [ "$(cat "/proc/$pid/comm" 2> /dev/null)" = miniupnpd ]; then
            echo "miniupnpd in $n, pid $pid; mappings (DNAT) and their SNAT:"
            { in_ns "$n" nft list chain inet miniupnpd prerouting_miniupnpd | grep dnat || true; } \
                | sed 's/^[[:space:]]*/  /'
            { in_ns "$n" nft list map ip dhlab portmap_snat \
                | grep -o '[a-z]* \. [0-9.]* \. [0-9]* : [0-9.]* \. [0-9]*' || true; } | sed 's/^/  snat /'
        else
            echo "miniupnpd in $n, pid $pid: not running"
        fi
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
    _portmap-sync) cmd_portmap_sync "$@" ;;
    _portmap-late) cmd_portmap_late ;;
    *) die "unknown command $command (see --help)" ;;
esac
