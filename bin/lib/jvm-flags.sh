# Sourced by bin/lib/launch.sh and bin/lib/aot-train.sh: reads bin/lib/jvm.flags.

# Sets the array jvm_flags to the flags of the sections named in "$@" (e.g. all transfer), in file order.
derphole_jvm_flags() {
    local file section="" line wanted
    file="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/jvm.flags"
    jvm_flags=()
    while IFS= read -r line || [ -n "$line" ]; do
        case "$line" in
            '' | '#'*) continue ;;
            '['*']') section=${line:1:${#line}-2}; continue ;;
        esac
        for wanted in "$@"; do
            if [ "$section" = "$wanted" ]; then
                jvm_flags+=("$line")
            fi
        done
    done < "$file"
}
