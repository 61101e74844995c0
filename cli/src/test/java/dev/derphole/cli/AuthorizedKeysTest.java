package dev.derphole.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.derphole.session.payload.SshPublicKey;
import dev.derphole.testing.SshKeys;

class AuthorizedKeysTest {
    @TempDir
    Path temp;

    @Test
    void shouldFindAnotherUsersFileThroughThePasswordFile() throws Exception {
        final Path passwd = Files.writeString(temp.resolve("passwd"), "daemon:x:1:1::/usr/sbin:/bin/false\n"
            + "deploy:x:1000:1000:Deploy:" + temp.resolve("deploy") + ":/bin/sh\n");
        final String me = System.getProperty("user.name"); // an account the lookup service knows
        Files.writeString(passwd, me + ":x:0:0::" + temp.resolve("me") + ":/bin/sh\n",
            java.nio.file.StandardOpenOption.APPEND);
        assertThat(AuthorizedKeys.of(me, passwd, temp).path()).isEqualTo(temp.resolve("me/.ssh/authorized_keys"));
        assertThat(AuthorizedKeys.of(null, passwd, temp).path()).isEqualTo(temp.resolve(".ssh/authorized_keys"));
        assertThatThrownBy(() -> AuthorizedKeys.of("nobody-here", passwd, temp)).isInstanceOf(UserFacingException.class)
            .hasMessage("no such user: nobody-here");
    }

    @Test
    void shouldAppendOnALineOfItsOwnAndNeverTwice() throws Exception {
        final Path keysFile = Files.createDirectories(temp.resolve(".ssh")).resolve("authorized_keys");
        Files.writeString(keysFile, "command=\"x\" ssh-ed25519 AAAA old"); // no final newline, options: left alone
        final AuthorizedKeys keys = AuthorizedKeys.of(null, temp.resolve("unused"), temp);
        final SshPublicKey key = SshPublicKey.parse(SshKeys.ed25519(1, "a@b"));
        assertThat(keys.add(key)).isTrue();
        assertThat(keys.add(SshPublicKey.parse(SshKeys.ed25519(1, "another comment")))).isFalse();
        assertThat(Files.readAllLines(keysFile)).containsExactly("command=\"x\" ssh-ed25519 AAAA old", key.line());
    }
}
