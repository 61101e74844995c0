package dev.derphole.session.transfer;

/** Status transitions of a session, for {@code --verbose} lines ({@code claimed}, {@code connected-relay}, ...). */
@FunctionalInterface
public interface SessionEvents {
    void status(String status);

    SessionEvents NONE = status -> {
    };
}
