package dev.derphole.session.payload;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.derphole.derp.json.JsonReader;

@Timeout(30)
class PayloadHeadersTest {
    private static final String CODE = "ABCD-EF01-2345";

    @Test
    void shouldRoundTripEveryKind() throws Exception {
        final List<PayloadHeader> headers = List.of(
            PayloadHeader.of(PayloadKind.TEXT),
            PayloadHeader.of(PayloadKind.TEXT).withVerify(CODE),
            PayloadHeader.file("report.pdf", 1234).withVerify(CODE),
            PayloadHeader.file("empty", 0),
            PayloadHeader.file("big.iso", Long.MAX_VALUE),
            PayloadHeader.directory("photos", 10240, new DirectoryMetadata(3, 4096)).withVerify(CODE),
            PayloadHeader.directory("bare", 1024, null),
            PayloadHeader.of(PayloadKind.SSH_INVITE),
            PayloadHeader.of(PayloadKind.SSH_ACCEPT).withVerify(CODE));
        for (final PayloadHeader header : headers) {
            final ByteArrayOutputStream out = new ByteArrayOutputStream();
            PayloadHeaders.write(header, out);
            assertThat(out.toByteArray()).isEqualTo(PayloadHeaders.encode(header));
            assertThat(read(out.toByteArray())).isEqualTo(header);
        }
        assertThat(headers).extracting(PayloadHeader::kind).containsAll(List.of(PayloadKind.values()));
    }

    @Test
    void shouldEncodeTheDocumentedBytes() {
        final byte[] wire = PayloadHeaders.encode(PayloadHeader.file("report.pdf", 1234).withVerify(CODE));
        final String json = "{\"version\":1,\"kind\":\"file\",\"name\":\"report.pdf\",\"size\":1234,"
            + "\"verify\":\"ABCD-EF01-2345\"}";
        assertThat(HexFormat.of().formatHex(wire, 0, 13)).isEqualTo("44455250484f4c4531" + "00000055");
        assertThat(new String(wire, 13, wire.length - 13, StandardCharsets.UTF_8)).isEqualTo(json);
        assertThat(wire).hasSize(13 + 85);
    }

    @Test
    void shouldOmitEmptyFieldsAndWriteDirectoryMetadataAsBase64() {
        assertThat(jsonOf(PayloadHeader.of(PayloadKind.TEXT))).isEqualTo("{\"version\":1,\"kind\":\"text\"}");
        assertThat(HexFormat.of().formatHex(PayloadHeaders.encode(PayloadHeader.of(PayloadKind.TEXT)), 9, 13))
            .isEqualTo("0000001b");
        assertThat(jsonOf(PayloadHeader.file("e", 0))).isEqualTo("{\"version\":1,\"kind\":\"file\",\"name\":\"e\"}");
        assertThat(jsonOf(PayloadHeader.directory("photos", 10240, new DirectoryMetadata(3, 4096))))
            .isEqualTo("{\"version\":1,\"kind\":\"directory_tar\",\"name\":\"photos\",\"size\":10240,"
                + "\"metadata\":\"eyJmaWxlX2NvdW50IjozLCJ1bmNvbXByZXNzZWRfYnl0ZXMiOjQwOTZ9\"}");
    }

    @Test
    void shouldEscapeStringsAsGoDoes() throws Exception {
        final String name = "a\"<b>&\u0001\b\u007f\u2028\u00e9\uD83D\uDE00 \t.txt";
        final PayloadHeader header = PayloadHeader.file(name, 1).withVerify("x\\y\n");
        final String json = jsonOf(header);
        assertThat(json).isEqualTo("{\"version\":1,\"kind\":\"file\",\"name\":\"a\\\"\\u003cb\\u003e\\u0026\\u0001\\b"
            + "\u007f\\u2028\u00e9\uD83D\uDE00 \\t.txt\",\"size\":1,\"verify\":\"x\\\\y\\n\"}");
        final Object parsed = JsonReader.parse(json);
        assertThat(parsed).isInstanceOf(Map.class);
        assertThat(((Map<?, ?>)parsed).get("name")).isEqualTo(name);
        assertThat(read(PayloadHeaders.encode(header))).isEqualTo(header);
    }

    @Test
    void shouldLeaveTheBodyUnread() throws Exception {
        final byte[] body = "the body\u0000 follows".getBytes(StandardCharsets.UTF_8);
        final PayloadHeader header = PayloadHeader.file("a.txt", body.length).withVerify(CODE);
        final ByteArrayInputStream in = new ByteArrayInputStream(concat(PayloadHeaders.encode(header), body));
        assertThat(PayloadHeaders.read(in)).isEqualTo(header);
        assertThat(in.readAllBytes()).isEqualTo(body);

        // One byte per read, and a stream that fails on any read past the header.
        final byte[] wire = PayloadHeaders.encode(header);
        final TrickleStream trickle = new TrickleStream(concat(wire, body), wire.length);
        assertThat(PayloadHeaders.read(trickle)).isEqualTo(header);
        assertThat(trickle.position).isEqualTo(wire.length);
    }

    @Test
    void shouldRejectWrongMagic() {
        assertRejected("GET / HTTP/1.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII), "not a derphole send stream");
        assertRejected("DERPHOLE2\0\0\0\2{}".getBytes(StandardCharsets.US_ASCII), "not a derphole send stream");
        assertRejected(new byte[] {'X'}, "not a derphole send stream");
    }

    @Test
    void shouldRejectTruncatedHeaders() {
        assertRejected(new byte[0], "truncated payload header: the stream ended after 0 of 13 bytes");
        assertRejected("DERPHO".getBytes(StandardCharsets.US_ASCII), "truncated payload header");
        assertRejected(frame(0x55, "{\"version\":1".getBytes(StandardCharsets.UTF_8)),
            "truncated payload header: the stream ended after 25 of 98 bytes");
        final byte[] valid = PayloadHeaders.encode(PayloadHeader.file("a", 1));
        assertRejected(java.util.Arrays.copyOf(valid, valid.length - 1), "truncated payload header");
    }

    @Test
    void shouldRejectOversizedHeadersBeforeReadingThem() {
        assertRejected(frame(PayloadHeaders.MAX_HEADER_BYTES + 1, new byte[0]),
            "payload header too large: 1048577 bytes (limit 1048576)");
        assertRejected(frame(-1, new byte[0]), "payload header too large: 4294967295 bytes");
    }

    @Test
    void shouldCountUnknownFieldsTowardTheLimit() throws Exception {
        final String start = "{\"version\":1,\"kind\":\"text\",\"future\":\"";
        final String end = "\",\"more\":{\"a\":[1,2.5,null,true]}}";
        final int fill = PayloadHeaders.MAX_HEADER_BYTES - start.length() - end.length();
        final byte[] atLimit = (start + "x".repeat(fill) + end).getBytes(StandardCharsets.UTF_8);
        assertThat(atLimit).hasSize(PayloadHeaders.MAX_HEADER_BYTES);
        assertThat(read(frame(atLimit.length, atLimit))).isEqualTo(PayloadHeader.of(PayloadKind.TEXT));
        final byte[] over = (start + "x".repeat(fill + 1) + end).getBytes(StandardCharsets.UTF_8);
        assertRejected(frame(over.length, over), "payload header too large: 1048577 bytes");
    }

    @Test
    void shouldRejectMalformedJson() {
        assertRejected(json(""), "malformed payload header: unexpected end of input");
        assertRejected(json("{\"version\":1,\"kind\":\"text\""), "malformed payload header");
        assertRejected(json("{\"version\":1,\"kind\":\"text\"}x"), "malformed payload header");
        assertRejected(json("{\"version\":1,\"version\":1,\"kind\":\"text\"}"), "malformed payload header: duplicate");
        assertRejected(new byte[] {'D', 'E', 'R', 'P', 'H', 'O', 'L', 'E', '1', 0, 0, 0, 2, '"', (byte)0xff},
            "malformed payload header");
        assertRejected(json("[1]"), "malformed payload header: not a JSON object");
        assertRejected(json("null"), "malformed payload header: not a JSON object");
        assertRejected(json("{\"" + "k".repeat(5000) + "\":1,\"" + "k".repeat(5000) + "\":1}"),
            "malformed payload header: duplicate");
    }

    @Test
    void shouldRejectAMissingOrUnsupportedVersion() {
        assertRejected(json("{\"kind\":\"text\"}"), "payload header has no version");
        assertRejected(json("{\"version\":null,\"kind\":\"text\"}"), "payload header has no version");
        assertRejected(json("{\"version\":2,\"kind\":\"text\"}"),
            "unsupported payload header version 2 (this build reads 1)");
        assertRejected(json("{\"version\":0}"), "unsupported payload header version 0");
        assertRejected(json("{\"version\":\"1\",\"kind\":\"text\"}"), "invalid payload header version");
        assertRejected(json("{\"version\":1.0,\"kind\":\"text\"}"), "invalid payload header version");
    }

    @Test
    void shouldRejectAMissingOrUnknownKind() {
        assertRejected(json("{\"version\":1}"), "payload header has no kind");
        assertRejected(json("{\"version\":1,\"kind\":\"\"}"), "payload header has no kind");
        assertRejected(json("{\"version\":1,\"kind\":\"zip\"}"), "unsupported payload kind \"zip\"");
        assertRejected(json("{\"version\":1,\"kind\":\"TEXT\"}"), "unsupported payload kind \"TEXT\"");
        assertRejected(json("{\"version\":1,\"kind\":7}"), "invalid payload header kind: not a string");
    }

    @Test
    void shouldRejectInvalidFields() {
        assertRejected(json("{\"version\":1,\"kind\":\"file\",\"size\":3}"), "payload header for file has no name");
        assertRejected(json("{\"version\":1,\"kind\":\"directory_tar\"}"),
            "payload header for directory_tar has no name");
        assertRejected(json("{\"version\":1,\"kind\":\"file\",\"name\":\"../etc\"}"), "invalid name \"../etc\"");
        assertRejected(json("{\"version\":1,\"kind\":\"file\",\"name\":\"..\"}"), "invalid name \"..\"");
        assertRejected(json("{\"version\":1,\"kind\":\"text\",\"name\":\"a\\\\b\"}"), "invalid name \"a\\\\b\"");
        assertRejected(json("{\"version\":1,\"kind\":\"file\",\"name\":\"a\\u0000\"}"), "invalid name");
        assertThatThrownBy(() -> read(json("{\"version\":1,\"kind\":\"file\",\"name\":\"" + "x".repeat(256) + "\"}")))
            .isInstanceOf(PayloadException.class).hasMessageEndingWith("\"...: it is longer than 255 UTF-8 bytes");
        assertRejected(json("{\"version\":1,\"kind\":\"file\",\"name\":1}"), "invalid payload header name");
        assertRejected(json("{\"version\":1,\"kind\":\"file\",\"name\":\"a\",\"size\":-1}"), "invalid payload size");
        assertRejected(json("{\"version\":1,\"kind\":\"file\",\"name\":\"a\",\"size\":1.5}"), "invalid payload size");
        assertRejected(json("{\"version\":1,\"kind\":\"file\",\"name\":\"a\",\"size\":\"5\"}"), "invalid payload size");
        assertRejected(json("{\"version\":1,\"kind\":\"file\",\"name\":\"a\",\"size\":1e3}"), "invalid payload size");
        assertRejected(json("{\"version\":1,\"kind\":\"file\",\"name\":\"a\",\"size\":99999999999999999999}"),
            "invalid payload size");
        assertRejected(json("{\"version\":1,\"kind\":\"text\",\"verify\":[]}"), "invalid payload header verify");
        assertRejected(json("{\"version\":1,\"kind\":\"text\",\"metadata\":{}}"), "invalid payload header metadata");
        assertRejected(json("{\"version\":1,\"kind\":\"text\",\"metadata\":\"!!\"}"), "payload metadata is not base64");
    }

    @Test
    void shouldIgnoreUnknownFieldsNullsAndMetadataItDoesNotUnderstand() throws Exception {
        final PayloadHeader header = read(json("{\"kind\":\"file\",\"future\":{\"x\":[1]},\"version\":1,"
            + "\"name\":\"a\",\"size\":5,\"verify\":null,\"metadata\":\"eyJtb2RlIjoiMDY0NCJ9\"}"));
        assertThat(header).isEqualTo(PayloadHeader.file("a", 5));
        assertThat(read(json(" {\"version\":1,\"kind\":\"text\",\"name\":null,\"size\":null,\"metadata\":\"\"}\n")))
            .isEqualTo(PayloadHeader.of(PayloadKind.TEXT));
    }

    private static PayloadHeader read(final byte[] wire) throws IOException, PayloadException {
        return PayloadHeaders.read(new ByteArrayInputStream(wire));
    }

    private static void assertRejected(final byte[] wire, final String messageStart) {
        assertThatThrownBy(() -> read(wire)).isInstanceOf(PayloadException.class).hasMessageStartingWith(messageStart)
            .hasNoCause();
    }

    private static String jsonOf(final PayloadHeader header) {
        final byte[] wire = PayloadHeaders.encode(header);
        assertThat(ByteBuffer.wrap(wire, 9, 4).getInt()).isEqualTo(wire.length - 13);
        return new String(wire, 13, wire.length - 13, StandardCharsets.UTF_8);
    }

    private static byte[] json(final String json) {
        final byte[] utf8 = json.getBytes(StandardCharsets.UTF_8);
        return frame(utf8.length, utf8);
    }

    static byte[] frame(final int length, final byte[] json) {
        return ByteBuffer.allocate(13 + json.length).put("DERPHOLE1".getBytes(StandardCharsets.US_ASCII))
            .putInt(length).put(json).array();
    }

    private static byte[] concat(final byte[] a, final byte[] b) {
        return ByteBuffer.allocate(a.length + b.length).put(a).put(b).array();
    }

    /** Hands out one byte per read and fails any read past {@code limit}: the header must not over-read. */
    private static final class TrickleStream extends InputStream {
        private final byte[] bytes;
        private final int limit;
        private int position;

        TrickleStream(final byte[] bytes, final int limit) {
            this.bytes = bytes;
            this.limit = limit;
        }

        @Override
        public int read() throws IOException {
            if (position >= limit) {
                throw new IOException("read past the header at " + position);
            }
            return position < bytes.length ? bytes[position++] & 0xff : -1;
        }

        @Override
        public int read(final byte[] b, final int off, final int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            final int c = read();
            if (c < 0) {
                return -1;
            }
            b[off] = (byte)c;
            return 1;
        }
    }
}
