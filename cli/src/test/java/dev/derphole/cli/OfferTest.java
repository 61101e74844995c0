package dev.derphole.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.derphole.session.payload.PayloadKind;

class OfferTest {
    @TempDir
    Path temp;

    @Test
    void shouldOfferAnExistingFileByItsNameAndSize() throws Exception {
        final Path file = Files.writeString(temp.resolve("notes.txt"), "twelve bytes");
        final Offer offer = Offer.of(file.toString());
        assertThat(offer.header().kind()).isEqualTo(PayloadKind.FILE);
        assertThat(offer.header().name()).isEqualTo("notes.txt");
        assertThat(offer.size()).isEqualTo(12);
        assertThat(offer.hasProgress()).isTrue();
        assertThat(offer.summary()).isEqualTo("Sending 12B file named \"notes.txt\"");
        try (InputStream body = offer.openBody(InputStream.nullInputStream())) {
            assertThat(new String(body.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("twelve bytes");
        }
    }

    @Test
    void shouldSendTheAnnouncedSizeOfAFileThatChangedSinceItWasOffered() throws Exception {
        final Path file = Files.writeString(temp.resolve("app.log"), "0123456789");
        final Offer offer = Offer.of(file.toString());
        Files.writeString(file, "more", StandardOpenOption.APPEND);
        try (InputStream body = offer.openBody(InputStream.nullInputStream())) {
            assertThat(body.readAllBytes()).hasSize(10); // cut where the header said
        }
        Files.writeString(file, "0123");
        try (InputStream body = offer.openBody(InputStream.nullInputStream())) {
            assertThatThrownBy(body::readAllBytes).isInstanceOf(IOException.class).hasMessageContaining("shrank");
        }
    }

    @Test
    void shouldOfferADirectoryAsATarOfKnownSize() throws Exception {
        final Path dir = Files.createDirectory(temp.resolve("photos"));
        Files.write(dir.resolve("a.jpg"), new byte[2048]);
        final Offer offer = Offer.of(dir.toString());
        assertThat(offer.header().kind()).isEqualTo(PayloadKind.DIRECTORY_TAR);
        assertThat(offer.header().metadata().fileCount()).isEqualTo(1);
        assertThat(offer.summary()).isEqualTo("Sending directory (1 file, 2.0KiB) named \"photos\"");
        try (InputStream body = offer.openBody(InputStream.nullInputStream())) {
            assertThat(body.readAllBytes()).hasSize((int)offer.size());
        }
    }

    @Test
    void shouldOfferAnythingElseAsTextAndNothingAsStdin() throws Exception {
        final Offer text = Offer.of("no such file here");
        assertThat(text.header().kind()).isEqualTo(PayloadKind.TEXT);
        assertThat(text.hasProgress()).isFalse();
        assertThat(text.summary()).isEqualTo("Sending text message (17B)");
        final Offer stdin = Offer.of(null);
        assertThat(stdin.summary()).isEqualTo("Sending text from stdin");
        try (InputStream body = stdin.openBody(new ByteArrayInputStream("piped".getBytes(StandardCharsets.UTF_8)))) {
            assertThat(new String(body.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("piped");
        }
    }
}
