package dev.derphole.derp.server;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.function.Consumer;

/**
 * Starts loopback relays for tests (this module's and, through the test-jar, other modules'). Each relay binds
 * 127.0.0.1 on a free port; close it (try-with-resources) when done. Stateless.
 */
public final class TestRelays {
    private TestRelays() {
    }

    /** A plain-HTTP relay with default settings. */
    public static DerpServer startPlain() {
        return startPlain(b -> { });
    }

    /** A plain-HTTP relay; {@code tweak} adjusts the builder (queue depth, timeouts, observer...). */
    public static DerpServer startPlain(final Consumer<DerpServerConfig.Builder> tweak) {
        return start(DerpServerConfig.builder().listen("127.0.0.1:0"), tweak);
    }

    /** A TLS relay serving the test certificate (trust it with {@link TestTls#clientSslContext()}), meta cert on. */
    public static DerpServer startTls() {
        return startTls(b -> { });
    }

    public static DerpServer startTls(final Consumer<DerpServerConfig.Builder> tweak) {
        return start(DerpServerConfig.builder().listen("127.0.0.1:0").tls(TestTls.credentials()), tweak);
    }

    private static DerpServer start(final DerpServerConfig.Builder builder,
        final Consumer<DerpServerConfig.Builder> tweak) {
        tweak.accept(builder);
        try {
            return new DerpServer(builder.build()).start();
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot start a test relay", e);
        }
    }
}
