package dev.derphole.derp.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.derphole.derp.proto.DerpProtocolException;
import dev.derphole.testing.Fuzz;

@Timeout(30)
class ServerJsonTest {
    @Test
    void shouldReadTailscaleClientInfoCaseInsensitively() throws DerpProtocolException {
        final ClientInfo info = parse("{\"Version\":2,\"canackpings\":true,\"IsProber\":true,\"AppName\":\"x\","
            + "\"meshKey\":\"ab\",\"SomethingNew\":[1,{}]}");
        assertThat(info.version()).isEqualTo(2);
        assertThat(info.canAckPings()).isTrue();
        assertThat(info.isProber()).isTrue();
        assertThat(info.appName()).isEqualTo("x");
        assertThat(info.meshKey()).isEqualTo("ab");
    }

    @Test
    void shouldTreatJsonNullAsZeroClientInfoLikeGo() throws DerpProtocolException {
        assertThat(parse("null")).isEqualTo(new ClientInfo(0, false, null, false, null));
    }

    @Test
    void shouldRejectNonObjectsBadJsonAndWrongTypes() {
        for (final String bad : new String[] {"[]", "2", "\"x\"", "{\"version\":2,", "{\"version\":\"2\"}",
            "{\"CanAckPings\":1}", "{\"meshKey\":3}", ""}) {
            assertThatThrownBy(() -> parse(bad)).as(bad).isInstanceOf(DerpProtocolException.class);
        }
    }

    @Test
    void shouldOnlyThrowProtocolExceptionsOnGarbage() {
        final byte[] valid = "{\"version\":2,\"CanAckPings\":true}".getBytes(StandardCharsets.UTF_8);
        Fuzz.forAll(Fuzz.mutations(Fuzz.DEFAULT_SEED, valid, 2000), input -> {
            try {
                ServerJson.parseClientInfo(input);
            } catch (final DerpProtocolException expected) {
                // the parser's declared failure
            }
        });
    }

    @Test
    void shouldAdvertiseRateLimitInServerInfo() {
        final DerpServerConfig config = DerpServerConfig.builder().listen("127.0.0.1:0")
            .rateLimit(200_000, 100_000).build();
        assertThat(new String(ServerJson.serverInfo(config), StandardCharsets.UTF_8))
            .isEqualTo("{\"version\":2,\"TokenBucketBytesPerSecond\":200000,\"TokenBucketBytesBurst\":100000}");
    }

    private static ClientInfo parse(final String json) throws DerpProtocolException {
        return ServerJson.parseClientInfo(json.getBytes(StandardCharsets.UTF_8));
    }
}
