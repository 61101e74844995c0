package dev.derphole.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ServerSocket;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.EnumSet;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

import dev.derphole.derp.proto.NodeKey;
import dev.derphole.session.token.Capability;
import dev.derphole.session.token.IdentityKeyPair;
import dev.derphole.session.token.RelayBootstrap;
import dev.derphole.session.token.SessionToken;

/** Which words of a {@code pipe} command line start the relay connection before picocli parses them. */
class EarlyJoinTest {
    @Test
    void shouldStartForACurrentTokenAmongTheWords() throws IOException {
        final String token = token(Clock.systemUTC());
        EarlyJoin.start(new String[] {"-v", "pipe", "--parallel", "2", token});
        assertThat(EarlyJoin.take()).isNotNull();
        assertThat(EarlyJoin.take()).as("taken once").isNull();
    }

    @Test
    void shouldStartNothingForWordsThatAreNoCurrentToken() throws IOException {
        final String expired = token(Clock.fixed(Instant.now().minus(Duration.ofHours(2)), ZoneOffset.UTC));
        EarlyJoin.start(new String[] {"pipe", expired, "x".repeat(60), "short", "not/a+token".repeat(5)});
        assertThat(EarlyJoin.take()).isNull();
    }

    /** A STDIO token for a relay on a loopback port nothing listens on (the connection fails; nobody takes it). */
    private static String token(final Clock clock) throws IOException {
        final int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        final byte[] key = new byte[32];
        new SplittableRandom(7).nextBytes(key);
        return SessionToken.issue(EnumSet.of(Capability.STDIO),
            new RelayBootstrap.CustomRelay("http://127.0.0.1:" + closedPort, 0), NodeKey.of(key),
            IdentityKeyPair.generate().publicKeyRaw(), clock).encode();
    }
}
