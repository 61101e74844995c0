package dev.derphole.udp;

import java.io.IOException;

/**
 * Opens the best {@link DatagramEngine} the kernel offers: io_uring, else {@code sendmmsg} through FFM, else
 * Netty epoll, else NIO. The choice can be forced with the system property {@value #ENGINE_PROPERTY} (for
 * tests) or the environment variable {@value #ENGINE_ENV}, set to {@code uring}, {@code mmsg},
 * {@code epoll} or {@code nio}; the property wins. A forced engine that cannot run is an error, never a
 * silent fallback.
 * <p>
 * Stateless; thread-safe.
 */
public final class DatagramEngines {
    /** Environment variable that forces an engine. */
    public static final String ENGINE_ENV = "DERPHOLE_UDP_ENGINE";
    /** System property that forces an engine (checked before the environment). */
    public static final String ENGINE_PROPERTY = "derphole.udp.engine";

    private DatagramEngines() {
    }

    /**
     * Finds out which engine this machine offers on a daemon thread ({@code derphole-udp-prepare}), so the native
     * call stubs of the FFM engines (~0.15 s to build) are ready when the first socket opens. Harmless to skip;
     * any failure shows again, and is handled, at {@link #open}.
     */
    public static void prepareInBackground() {
        Thread.ofPlatform().daemon().name("derphole-udp-prepare").start(() -> {
            try {
                selected();
            } catch (final RuntimeException | LinkageError e) {
                // Reported where it matters: open() fails the same way and the session stays on the relay.
            }
        });
    }

    /** The best available engine, ignoring overrides. */
    public static EngineKind bestAvailable() {
        for (final EngineKind kind : EngineKind.values()) {
            if (kind.isAvailable()) {
                return kind;
            }
        }
        return EngineKind.NIO;
    }

    /** The engine forced by the property or environment, or null when neither is set (or blank). */
    public static EngineKind override() {
        final String property = System.getProperty(ENGINE_PROPERTY);
        if (property != null && !property.isBlank()) {
            return EngineKind.parse(property);
        }
        final String env = System.getenv(ENGINE_ENV);
        if (env != null && !env.isBlank()) {
            return EngineKind.parse(env);
        }
        return null;
    }

    /** The engine {@link #open(DatagramEngineConfig)} would use. */
    public static EngineKind selected() {
        final EngineKind forced = override();
        return forced != null ? forced : bestAvailable();
    }

    /**
     * Opens the selected engine.
     *
     * @throws IOException when the socket cannot be opened, or a forced engine is not available here
     */
    public static DatagramEngine open(final DatagramEngineConfig config) throws IOException {
        return open(selected(), config);
    }

    /**
     * Opens an engine of {@code kind}.
     *
     * @throws IOException when the socket cannot be opened or {@code kind} is not available here
     */
    public static DatagramEngine open(final EngineKind kind, final DatagramEngineConfig config) throws IOException {
        final Throwable cause = kind.unavailabilityCause();
        if (cause != null) {
            throw new IOException("UDP engine '" + kind.label() + "' is not available here: " + cause, cause);
        }
        return kind.open(config);
    }
}
