package dev.derphole.session.payload;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

import org.junit.jupiter.api.Test;

class DirectoryMetadataTest {
    @Test
    void shouldEncodeAsBase64OfGoJson() throws PayloadException {
        final DirectoryMetadata summary = new DirectoryMetadata(3, 4096);
        assertThat(summary.encode()).isEqualTo("eyJmaWxlX2NvdW50IjozLCJ1bmNvbXByZXNzZWRfYnl0ZXMiOjQwOTZ9");
        assertThat(new String(Base64.getDecoder().decode(summary.encode()), StandardCharsets.UTF_8))
            .isEqualTo("{\"file_count\":3,\"uncompressed_bytes\":4096}");
        assertThat(DirectoryMetadata.decode(summary.encode())).isEqualTo(summary);
        final DirectoryMetadata large = new DirectoryMetadata(Long.MAX_VALUE, 0);
        assertThat(DirectoryMetadata.decode(large.encode())).isEqualTo(large);
    }

    @Test
    void shouldIgnoreUnknownFieldsAndOrder() throws PayloadException {
        assertThat(DirectoryMetadata.decode(base64("{\"uncompressed_bytes\":7,\"x\":[],\"file_count\":1}")))
            .isEqualTo(new DirectoryMetadata(1, 7));
    }

    @Test
    void shouldRejectWhatIsNotASummary() {
        assertThatThrownBy(() -> DirectoryMetadata.decode("not base64!")).isInstanceOf(PayloadException.class)
            .hasMessage("payload metadata is not base64");
        for (final String json : new String[] {"{\"mode\":\"0644\"}", "{\"file_count\":1}", "[1,2]", "{",
            "{\"file_count\":-1,\"uncompressed_bytes\":0}", "{\"file_count\":1.5,\"uncompressed_bytes\":0}",
            "{\"file_count\":\"1\",\"uncompressed_bytes\":0}"}) {
            assertThatThrownBy(() -> DirectoryMetadata.decode(base64(json))).as(json)
                .isInstanceOf(PayloadException.class).hasMessage("payload metadata is not a directory summary");
        }
    }

    @Test
    void shouldRejectNegativeCounts() {
        assertThatThrownBy(() -> new DirectoryMetadata(-1, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new DirectoryMetadata(0, -1)).isInstanceOf(IllegalArgumentException.class);
    }

    private static String base64(final String json) {
        return Base64.getEncoder().encodeToString(json.getBytes(StandardCharsets.UTF_8));
    }
}
