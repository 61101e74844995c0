# Sourced by the launchers and build scripts: exports JAVA_HOME pointing at a JDK 25 or newer.
# Order: $JAVA_HOME if it is new enough, then the system's standard JVM folder (/usr/lib/jvm).

derphole_java_major() {
    # Prints the feature version of the JDK at $1 (e.g. 25), or nothing. The JDK's release file says it without
    # starting a JVM, which cost every launch ~60 ms before its own JVM started; a JDK without one is asked.
    [ -x "$1/bin/java" ] || return 0
    local version=""
    if [ -f "$1/release" ]; then
        version=$(sed -n 's/^JAVA_VERSION="\([0-9][0-9]*\).*/\1/p' "$1/release" | head -n 1)
    fi
    if [ -n "$version" ]; then
        echo "$version"
        return 0
    fi
    "$1/bin/java" -XshowSettings:properties -version 2>&1 \
        | sed -n 's/^ *java\.specification\.version = \([0-9][0-9]*\).*/\1/p' | head -n 1
}

derphole_find_jdk25() {
    local candidate major
    if [ -n "${JAVA_HOME:-}" ]; then
        major=$(derphole_java_major "$JAVA_HOME")
        if [ -n "$major" ] && [ "$major" -ge 25 ]; then
            return 0
        fi
    fi
    for candidate in /usr/lib/jvm/temurin-25* /usr/lib/jvm/*-25* /usr/lib/jvm/*25* /usr/lib/jvm/*; do
        [ -d "$candidate" ] || continue
        major=$(derphole_java_major "$candidate")
        if [ -n "$major" ] && [ "$major" -ge 25 ]; then
            export JAVA_HOME="$candidate"
            return 0
        fi
    done
    echo "error: derphole needs a JDK 25 or newer; none found in \$JAVA_HOME (${JAVA_HOME:-unset}) or /usr/lib/jvm." >&2
    echo "hint: install a JDK 25 (e.g. Temurin 25) and set JAVA_HOME to it." >&2
    return 1
}
