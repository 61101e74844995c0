#!/usr/bin/env bash
# Samples the WAN lab's emulated link while a benchmark runs: where in a transfer the link stands idle. See --help.
set -euo pipefail

usage()
{
    cat <<'USAGE'
Usage: perf-scripts/wan/link-sampler.sh OUT [INTERVAL_S]

Waits (up to 60 s) for a wan-bench lab (/run/wb*/wanem-a.pid, or $DHLAB_STATE_DIR/wanem-a.pid), then sends its
wanem SIGUSR1 every INTERVAL_S seconds (default 0.02) until wanem exits, and writes to OUT one line per stats
snapshot of the direction towards the receiver (ba), prefixed with the wall-clock time it was read:
  <epoch s> wanem stats ba: rx=... tx_bytes=... idle_us=... idle_gaps_1ms=...
Differences of idle_us between lines are the time the link stood idle in that interval (a gap is counted when the
packet that ends it arrives; gaps of 1 s or more are not counted). Start it in the background just before
wan-bench.sh, e.g.:
  perf-scripts/wan/link-sampler.sh /tmp/link.txt & perf-scripts/wan-bench.sh --runs 1 --only derphole ...
It follows one lab, i.e. one loss level of wan-bench (each gets a fresh lab). Line up with the runs' stamped
status lines (DIR/logs/<run>/pipe.err.ts). Needs root (the lab's state).
USAGE
}

case "${1:-}" in
    -h|--help) usage; exit 0 ;;
    "") usage >&2; exit 2 ;;
esac
out=$1
interval=${2:-0.02}
: > "$out"
pidfile=
for ((i = 0; i < 600; i++)); do
    if [ -n "${DHLAB_STATE_DIR:-}" ] && [ -f "$DHLAB_STATE_DIR/wanem-a.pid" ]; then
        pidfile=$DHLAB_STATE_DIR/wanem-a.pid
    else
        pidfile=$(ls /run/wb*/wanem-a.pid 2> /dev/null | head -n 1 || true)
    fi
    [ -n "$pidfile" ] && break
    sleep 0.1
done
if [ -z "$pidfile" ]; then
    echo "error: no wan-bench lab appeared within 60 s (no /run/wb*/wanem-a.pid)" >&2
    exit 1
fi
log=$(dirname "$pidfile")/wanem-a.log
pid=$(cat "$pidfile")
# --pid: tail ends with wanem (the lab's tear-down), and with it this reader.
tail -n 0 -F --pid="$pid" "$log" 2> /dev/null | while IFS= read -r line; do
    case "$line" in
        *"stats ba:"*) echo "$(date +%s.%N) $line" ;;
    esac
done >> "$out" &
reader=$!
trap 'kill "$reader" 2> /dev/null || true' EXIT
# Bounded: a lab lives minutes; 200,000 snapshots at 20 ms are over an hour.
for ((i = 0; i < 200000; i++)); do
    kill -USR1 "$pid" 2> /dev/null || break
    sleep "$interval"
done
