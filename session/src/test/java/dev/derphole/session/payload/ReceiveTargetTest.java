package dev.derphole.session.payload;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReceiveTargetTest {
    @TempDir
    private Path work;
    private Path existingDir;
    private Path existingFile;

    @BeforeEach
    void layout() throws IOException {
        existingDir = Files.createDirectory(work.resolve("downloads"));
        existingFile = Files.writeString(work.resolve("notes.txt"), "old");
    }

    @Test
    void shouldPutAFileByNameInTheWorkingDirectoryByDefault() throws PayloadException {
        assertThat(ReceiveTarget.file(work, null, "a.txt")).isEqualTo(work.resolve("a.txt"));
        assertThat(ReceiveTarget.file(work, "", "a.txt")).isEqualTo(work.resolve("a.txt"));
    }

    @Test
    void shouldPutAFileIntoAnExistingDirectory() throws PayloadException, IOException {
        assertThat(ReceiveTarget.file(work, "downloads", "a.txt")).isEqualTo(existingDir.resolve("a.txt"));
        assertThat(ReceiveTarget.file(work, existingDir.toString(), "a.txt")).isEqualTo(existingDir.resolve("a.txt"));
        assertThat(ReceiveTarget.file(work, "downloads/", "a.txt")).isEqualTo(existingDir.resolve("a.txt"));
        final Path link = Files.createSymbolicLink(work.resolve("link"), existingDir);
        assertThat(ReceiveTarget.file(work, "link", "a.txt")).isEqualTo(link.resolve("a.txt"));
    }

    @Test
    void shouldUseAnyOtherPathAsTheFileItself() throws PayloadException {
        assertThat(ReceiveTarget.file(work, "renamed.bin", "a.txt")).isEqualTo(work.resolve("renamed.bin"));
        assertThat(ReceiveTarget.file(work, "notes.txt", "a.txt")).isEqualTo(existingFile);
        assertThat(ReceiveTarget.file(work, "downloads/new.bin", "a.txt")).isEqualTo(existingDir.resolve("new.bin"));
    }

    @Test
    void shouldRejectAFileOutputThatIsAMissingDirectory() {
        assertThatThrownBy(() -> ReceiveTarget.file(work, "missing/", "a.txt")).isInstanceOf(PayloadException.class)
            .hasMessage("output directory does not exist: missing/");
        assertThatThrownBy(() -> ReceiveTarget.file(work, "missing/..", "a.txt"))
            .isInstanceOf(PayloadException.class).hasMessage("output path names no file: missing/..");
    }

    @Test
    void shouldPutADirectoryByNameInTheWorkingDirectoryByDefault() throws PayloadException {
        assertThat(ReceiveTarget.directory(work, null, "photos")).isEqualTo(work.resolve("photos"));
        assertThat(ReceiveTarget.directory(work, "", "photos")).isEqualTo(work.resolve("photos"));
    }

    @Test
    void shouldPutADirectoryIntoAnExistingDirectory() throws PayloadException {
        assertThat(ReceiveTarget.directory(work, "downloads", "photos")).isEqualTo(existingDir.resolve("photos"));
        assertThat(ReceiveTarget.directory(work, ".", "photos")).isEqualTo(work.resolve(".").resolve("photos"));
    }

    @Test
    void shouldUseAMissingPathAsTheTopDirectory() throws PayloadException {
        assertThat(ReceiveTarget.directory(work, "album", "photos")).isEqualTo(work.resolve("album"));
        assertThat(ReceiveTarget.directory(work, "downloads/album/", "photos"))
            .isEqualTo(existingDir.resolve("album"));
    }

    @Test
    void shouldRejectADirectoryOutputThatIsAFileOrADanglingLink() throws IOException {
        assertThatThrownBy(() -> ReceiveTarget.directory(work, "notes.txt", "photos"))
            .isInstanceOf(PayloadException.class).hasMessage("output path exists and is not a directory: notes.txt");
        Files.createSymbolicLink(work.resolve("dangling"), work.resolve("nowhere"));
        assertThatThrownBy(() -> ReceiveTarget.directory(work, "dangling", "photos"))
            .isInstanceOf(PayloadException.class).hasMessageStartingWith("output path exists and is not a directory");
        assertThatThrownBy(() -> ReceiveTarget.directory(work, "missing/..", "photos"))
            .isInstanceOf(PayloadException.class).hasMessage("output path names no file: missing/..");
    }

    @Test
    void shouldRejectNamesThatCouldEscape() {
        for (final String name : new String[] {"", ".", "..", "../up", "a/b", "/abs", "a\\b", "a\0"}) {
            assertThatThrownBy(() -> ReceiveTarget.file(work, null, name)).as(name)
                .isInstanceOf(PayloadException.class).hasMessageStartingWith("invalid name");
            assertThatThrownBy(() -> ReceiveTarget.directory(work, "downloads", name)).as(name)
                .isInstanceOf(PayloadException.class).hasMessageStartingWith("invalid name");
        }
    }

    @Test
    void shouldRejectAnUnusablePath() {
        assertThatThrownBy(() -> ReceiveTarget.file(work, "a\0b", "a.txt")).isInstanceOf(PayloadException.class)
            .hasMessage("invalid output path \"a\\u0000b\"");
    }
}
