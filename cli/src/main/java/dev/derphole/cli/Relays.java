package dev.derphole.cli;

import dev.derphole.derp.map.DerpMap;
import dev.derphole.derp.map.DerpMapException;
import dev.derphole.derp.map.DerpMapLoader;
import dev.derphole.derp.map.DerpMapSource;

/** Relay selection shared by every command: which DERP map, from flags and environment, with user-facing errors. */
final class Relays {
    /** The hint every "no relay" error ends with. */
    static final String RELAY_HINT = "offline or firewalled? use a relay you can reach: --derp-url URL "
        + "(or DERPHOLE_DERP_URL), --derp-map FILE|URL (or DERPHOLE_DERP_MAP); run one with `derphole relay`";

    private Relays() {
    }

    static DerpMapSource source(final GlobalOptions global, final Terminal terminal) {
        try {
            return DerpMapSource.resolve(global.derpMap(), global.derpUrl(), terminal.env());
        } catch (final IllegalArgumentException e) {
            throw UserFacingException.usage(e.getMessage());
        }
    }

    static DerpMap load(final DerpMapSource source) {
        try {
            return DerpMapLoader.load(source);
        } catch (final DerpMapException e) {
            throw new UserFacingException(ExitCode.RUNTIME, e.getMessage(),
                "--derp-map takes a DERP map in Tailscale's JSON format; --derp-url takes http(s)://host:port", e);
        }
    }
}
