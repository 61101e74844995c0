#!/usr/bin/env bash
# Builds the user-space WAN emulator perf-scripts/wan/wanem.c on demand and prints the binary's path. See --help.
set -euo pipefail

usage()
{
    cat <<'USAGE'
Usage: perf-scripts/wan/build.sh [--force]

Compiles perf-scripts/wan/wanem.c with `cc -O2 -Wall -Wextra -Werror` into perf-scripts/target/wanem/wanem
when the binary is missing or older than the source (--force: always), then prints the binary's path on stdout.
Exit status: 0 built or up to date, 1 the compiler failed, 2 no C compiler (apt-get install gcc).
USAGE
}

force=0
case "${1:-}" in
    -h|--help) usage; exit 0 ;;
    --force) force=1 ;;
    "") ;;
    *) echo "error: unknown option $1 (see --help)" >&2; exit 2 ;;
esac

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$here/wanem.c
out_dir=$here/../target/wanem
bin=$out_dir/wanem
cc_cmd=${CC:-cc}
if [ "$force" -eq 1 ] || [ ! -x "$bin" ] || [ "$src" -nt "$bin" ]; then
    command -v "$cc_cmd" > /dev/null || { echo "error: no C compiler '$cc_cmd' (apt-get install gcc)" >&2; exit 2; }
    mkdir -p "$out_dir"
    # Temp file + rename: a running wanem keeps its binary, a concurrent build never sees half a file.
    "$cc_cmd" -O2 -Wall -Wextra -Werror -o "$bin.tmp.$$" "$src" >&2 || { rm -f "$bin.tmp.$$"; exit 1; }
    mv "$bin.tmp.$$" "$bin"
fi
echo "$(cd "$out_dir" && pwd)/wanem"
