package dev.derphole.session.payload;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class PayloadHeaderTest {
    @Test
    void shouldBuildHeadersWithTheFactories() {
        final DirectoryMetadata summary = new DirectoryMetadata(2, 10);
        assertThat(PayloadHeader.of(PayloadKind.TEXT)).isEqualTo(new PayloadHeader(PayloadKind.TEXT, "", 0, "", null));
        assertThat(PayloadHeader.file("a.txt", 5)).isEqualTo(new PayloadHeader(PayloadKind.FILE, "a.txt", 5, "", null));
        assertThat(PayloadHeader.directory("d", 1024, summary).withVerify("C"))
            .isEqualTo(new PayloadHeader(PayloadKind.DIRECTORY_TAR, "d", 1024, "C", summary));
    }

    @Test
    void shouldRequireANameForFilesAndDirectoriesOnly() {
        assertThatThrownBy(() -> PayloadHeader.file("", 1)).isInstanceOf(IllegalArgumentException.class)
            .hasMessage("payload header for file has no name");
        assertThatThrownBy(() -> PayloadHeader.directory("", 1, null)).isInstanceOf(IllegalArgumentException.class)
            .hasMessage("payload header for directory_tar has no name");
        assertThat(new PayloadHeader(PayloadKind.TEXT, "note.txt", 3, "", null).name()).isEqualTo("note.txt");
        assertThatThrownBy(() -> new PayloadHeader(PayloadKind.TEXT, "..", 0, "", null))
            .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void shouldAcceptOnlyPlainBasenames() {
        for (final String bad : new String[] {".", "..", "a/b", "/etc", "a\\b", "dir/", "a\0b", "\uD800x"}) {
            assertThat(PayloadHeader.nameProblem(bad)).as(bad).startsWith("invalid name ");
            assertThatThrownBy(() -> PayloadHeader.file(bad, 0)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
        for (final String good : new String[] {"a", "...", ".hidden", "a b", "\u00e9t\u00e9.txt", "x\uD83D\uDE00",
            "a:b", "\"q\""}) {
            assertThat(PayloadHeader.nameProblem(good)).as(good).isNull();
        }
    }

    @Test
    void shouldLimitNamesTo255Utf8Bytes() {
        assertThat(PayloadHeader.nameProblem("x".repeat(255))).isNull();
        assertThat(PayloadHeader.nameProblem("x".repeat(256))).endsWith("is longer than 255 UTF-8 bytes");
        // 127 two-byte characters are 254 bytes; one more ASCII byte fits, a two-byte character does not.
        assertThat(PayloadHeader.nameProblem("\u00e9".repeat(127) + "x")).isNull();
        assertThat(PayloadHeader.nameProblem("\u00e9".repeat(128))).endsWith("is longer than 255 UTF-8 bytes");
        // 63 four-byte emoji (252 bytes) plus three ASCII bytes is exactly 255.
        assertThat(PayloadHeader.nameProblem("\uD83D\uDE00".repeat(63) + "abc")).isNull();
        assertThat(PayloadHeader.nameProblem("\uD83D\uDE00".repeat(64))).endsWith("is longer than 255 UTF-8 bytes");
    }

    @Test
    void shouldQuoteAndClipNamesInMessages() {
        final String problem = PayloadHeader.nameProblem("a/\n" + "x".repeat(500));
        assertThat(problem).startsWith("invalid name \"a/\\n" + "x".repeat(61) + "\"...: it contains a path separator")
            .doesNotContain("\n");
    }

    @Test
    void shouldRejectNegativeSizesNullsAndUnpairedSurrogates() {
        assertThatThrownBy(() -> PayloadHeader.file("a", -1)).isInstanceOf(IllegalArgumentException.class)
            .hasMessage("invalid payload size -1");
        assertThatThrownBy(() -> new PayloadHeader(null, "", 0, "", null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new PayloadHeader(PayloadKind.TEXT, null, 0, "", null))
            .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> PayloadHeader.of(PayloadKind.TEXT).withVerify(null))
            .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> PayloadHeader.of(PayloadKind.TEXT).withVerify("\uDC00"))
            .isInstanceOf(IllegalArgumentException.class).hasMessage("verify code is not valid Unicode");
    }

    @Test
    void shouldMapKindsToTheirWireNames() throws PayloadException {
        assertThat(PayloadKind.values()).extracting(PayloadKind::wireName)
            .containsExactly("text", "file", "directory_tar", "ssh_invite", "ssh_accept");
        for (final PayloadKind kind : PayloadKind.values()) {
            assertThat(PayloadKind.fromWire(kind.wireName())).isSameAs(kind);
        }
        assertThatThrownBy(() -> PayloadKind.fromWire("directory")).isInstanceOf(PayloadException.class)
            .hasMessage("unsupported payload kind \"directory\"");
    }
}
