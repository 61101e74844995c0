package dev.derphole.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** The build's version, from a resource Maven filters at build time. */
final class Version {
    private Version() {
    }

    static String current() {
        try (InputStream in = Version.class.getResourceAsStream("version.properties")) {
            if (in == null) {
                return "dev";
            }
            final Properties p = new Properties();
            p.load(in);
            return p.getProperty("version", "dev");
        } catch (final IOException e) {
            return "dev";
        }
    }
}
