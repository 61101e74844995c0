package dev.derphole.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import dev.derphole.testing.SshKeys;

/**
 * {@code ssh invite} / {@code ssh accept} end to end over the relay, with {@code HOME} pointed at temporary
 * directories so no real {@code ~/.ssh} is read or written.
 */
@Timeout(120)
class SshIT {
    private static final long TOKEN_MS = 20_000;
    private static final long DONE_MS = 60_000;

    @TempDir
    Path temp;

    private static CliProcess derphole(final Path home, final String... args) throws Exception {
        return CliProcess.derpholeStreaming(List.of(), Map.of("HOME", home.toString()), null, args);
    }

    @Test
    void shouldAddTheAcceptedKeyOnceWithPrivateModes() throws Exception {
        final Path inviterHome = Files.createDirectory(temp.resolve("inviter"));
        final Path accepterHome = Files.createDirectories(temp.resolve("accepter/.ssh")).getParent();
        final String keyLine = SshKeys.ed25519(7, "me@laptop");
        Files.writeString(accepterHome.resolve(".ssh/id_ed25519.pub"), keyLine + "\n");
        try (RelayProcess relay = RelayProcess.start()) {
            for (int round = 0; round < 2; round++) {
                try (CliProcess invite = derphole(inviterHome, "--derp-url=" + relay.url(), "ssh", "invite",
                    "--force-relay")) {
                    final String token = invite.awaitStderr("^derphole ssh accept ([A-Za-z0-9_-]{40,})$", TOKEN_MS);
                    try (CliProcess accept = derphole(accepterHome, "ssh", "accept", "--force-relay", token)) {
                        accept.stdin().write("y\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                        accept.stdin().flush();
                        assertThat(accept.waitFor(DONE_MS)).as(accept.stderr()).isZero();
                        assertThat(accept.stderr()).contains("Sending public key type='ssh-ed25519' keyid='me@laptop'",
                            "Really send public key \"me@laptop\"? [y/N]", "Public key sent.");
                    }
                    assertThat(invite.waitFor(DONE_MS)).as(invite.stderr()).isZero();
                    assertThat(invite.stderr()).contains(round == 0 ? "Appended SSH public key to "
                        : "SSH public key already in ");
                }
            }
        }
        final Path keys = inviterHome.resolve(".ssh/authorized_keys");
        assertThat(Files.readAllLines(keys)).containsExactly(keyLine);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(keys))).isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(keys.getParent())))
            .isEqualTo("rwx------");
    }

    @Test
    void shouldSendNothingWhenTheUserSaysNo() throws Exception {
        final Path accepterHome = Files.createDirectories(temp.resolve("accepter/.ssh")).getParent();
        Files.writeString(accepterHome.resolve(".ssh/id_ed25519.pub"), SshKeys.ed25519(8, "") + "\n");
        final Path inviterHome = Files.createDirectory(temp.resolve("inviter"));
        try (RelayProcess relay = RelayProcess.start();
            CliProcess invite = derphole(inviterHome, "--derp-url=" + relay.url(), "ssh", "invite", "--force-relay")) {
            final String token = invite.awaitStderr("^derphole ssh accept ([A-Za-z0-9_-]{40,})$", TOKEN_MS);
            try (CliProcess accept = derphole(accepterHome, "ssh", "accept", "--force-relay", token)) {
                accept.stdin().write("n\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                accept.stdin().flush();
                assertThat(accept.waitFor(DONE_MS)).as(accept.stderr()).isEqualTo(ExitCode.RUNTIME);
                assertThat(accept.stderr()).contains("error: not sent");
            }
            try (CliProcess none = derphole(Files.createDirectory(temp.resolve("empty")), "ssh", "accept", token)) {
                assertThat(none.waitFor(DONE_MS)).isEqualTo(ExitCode.USAGE);
                assertThat(none.stderr()).contains("no public key (*.pub) in ", "pass --key-file");
            }
            invite.kill();
        }
        assertThat(inviterHome.resolve(".ssh")).doesNotExist();
    }
}
