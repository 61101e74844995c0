package dev.derphole.derp.map;

import java.util.Map;

/**
 * Where the DERP map comes from, decided from the command line and environment by
 * {@link #resolve(String, String, Map)} and loaded by {@link DerpMapLoader#load(DerpMapSource)}.
 *
 * <p>Precedence, first match wins (flags beat the environment; a URL beats a map at each level):
 * <ol>
 *   <li>{@code --derp-url URL}: one relay ({@link DerpRelayUrl});</li>
 *   <li>{@code --derp-map FILE|URL};</li>
 *   <li>env {@value #ENV_DERP_URL};</li>
 *   <li>env {@value #ENV_DERP_MAP};</li>
 *   <li>the bundled snapshot of Tailscale's public map ({@link DerpMapLoader#BUNDLED_RESOURCE}).</li>
 * </ol>
 * Giving both flags is a usage error. Both environment variables at once is not (the URL wins), since
 * the environment is ambient and a flag can override it. Blank values count as unset. A map value that
 * starts with {@code scheme://} is a URL, anything else a file path.
 */
public sealed interface DerpMapSource {
    /** Environment variable naming one relay URL. */
    String ENV_DERP_URL = "DERPHOLE_DERP_URL";
    /** Environment variable naming a DERP map file or URL. */
    String ENV_DERP_MAP = "DERPHOLE_DERP_MAP";
    /** Flag naming one relay URL. */
    String FLAG_DERP_URL = "--derp-url";
    /** Flag naming a DERP map file or URL. */
    String FLAG_DERP_MAP = "--derp-map";

    /** @return where the choice came from, for messages: a flag, an environment variable, or {@code built-in} */
    String origin();

    /** @return a one-line description for messages, e.g. {@code --derp-map /etc/derp.json} */
    String describe();

    /**
     * Chooses the map source. Pure: reads nothing but its arguments.
     *
     * @param flagMap value of {@code --derp-map}, or null/blank when not given
     * @param flagUrl value of {@code --derp-url}, or null/blank when not given
     * @param env     the environment (e.g. {@code System.getenv()})
     * @return the chosen source
     * @throws IllegalArgumentException when both flags are given (a usage error, exit code 2)
     */
    static DerpMapSource resolve(final String flagMap, final String flagUrl, final Map<String, String> env) {
        final boolean hasFlagMap = isSet(flagMap);
        final boolean hasFlagUrl = isSet(flagUrl);
        if (hasFlagMap && hasFlagUrl) {
            throw new IllegalArgumentException(FLAG_DERP_MAP + " and " + FLAG_DERP_URL + " cannot be used together");
        }
        if (hasFlagUrl) {
            return new Relay(flagUrl.strip(), FLAG_DERP_URL);
        }
        if (hasFlagMap) {
            return mapSource(flagMap.strip(), FLAG_DERP_MAP);
        }
        final String envUrl = env.get(ENV_DERP_URL);
        if (isSet(envUrl)) {
            return new Relay(envUrl.strip(), ENV_DERP_URL);
        }
        final String envMap = env.get(ENV_DERP_MAP);
        if (isSet(envMap)) {
            return mapSource(envMap.strip(), ENV_DERP_MAP);
        }
        return new Bundled();
    }

    private static DerpMapSource mapSource(final String value, final String origin) {
        final int sep = value.indexOf("://");
        if (sep > 0 && value.substring(0, sep).chars().allMatch(c -> Character.isLetterOrDigit(c) || c == '+'
            || c == '-' || c == '.')) {
            return new MapUrl(value, origin);
        }
        return new MapFile(value, origin);
    }

    private static boolean isSet(final String s) {
        return s != null && !s.isBlank();
    }

    /**
     * One relay URL, parsed when loaded.
     *
     * @param url    the URL as given
     * @param origin flag or variable it came from
     */
    record Relay(String url, String origin) implements DerpMapSource {
        @Override
        public String describe() {
            return origin + " " + url;
        }
    }

    /**
     * A DERP map JSON file.
     *
     * @param path   the path as given
     * @param origin flag or variable it came from
     */
    record MapFile(String path, String origin) implements DerpMapSource {
        @Override
        public String describe() {
            return origin + " " + path;
        }
    }

    /**
     * A DERP map JSON served at a URL; only {@code http} and {@code https} load.
     *
     * @param url    the URL as given
     * @param origin flag or variable it came from
     */
    record MapUrl(String url, String origin) implements DerpMapSource {
        @Override
        public String describe() {
            return origin + " " + url;
        }
    }

    /** The snapshot of Tailscale's public map bundled in the jar. */
    record Bundled() implements DerpMapSource {
        @Override
        public String origin() {
            return "built-in";
        }

        @Override
        public String describe() {
            return "the built-in public DERP map";
        }
    }
}
