package dev.derphole.cli;

import java.time.Duration;

/** Parses durations as users write them: {@code 500ms}, {@code 5s}, {@code 2m}, {@code 1h}, or plain seconds. */
final class Durations {
    private Durations() {
    }

    static Duration parse(final String flag, final String text) {
        final String t = text.strip();
        try {
            if (t.endsWith("ms")) {
                return positive(flag, text, Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2))));
            }
            final char unit = t.isEmpty() ? ' ' : t.charAt(t.length() - 1);
            final String number = Character.isDigit(unit) ? t : t.substring(0, t.length() - 1);
            final long value = Long.parseLong(number);
            return positive(flag, text, switch (unit) {
                case 's' -> Duration.ofSeconds(value);
                case 'm' -> Duration.ofMinutes(value);
                case 'h' -> Duration.ofHours(value);
                default -> {
                    if (!Character.isDigit(unit)) {
                        throw new NumberFormatException(text);
                    }
                    yield Duration.ofSeconds(value);
                }
            });
        } catch (final NumberFormatException | ArithmeticException e) {
            throw UserFacingException.usage(flag + " wants a duration like 500ms, 5s or 2m, got '" + text + "'");
        }
    }

    private static Duration positive(final String flag, final String text, final Duration d) {
        if (d.isNegative() || d.isZero()) {
            throw UserFacingException.usage(flag + " must be positive, got '" + text + "'");
        }
        return d;
    }

    /** Short human form: {@code 850µs}, {@code 12.3ms}, {@code 1.20s}. */
    static String human(final Duration d) {
        final long ns = d.toNanos();
        if (ns < 1_000_000) {
            return (ns / 1_000) + "µs";
        }
        if (ns < 1_000_000_000) {
            return String.format("%.1fms", ns / 1e6);
        }
        return String.format("%.2fs", ns / 1e9);
    }
}
