package dev.derphole.derp.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.derphole.derp.proto.DerpProtocolException;

@Timeout(30)
class ServerInfoJsonTest {
    private static ServerInfoJson.ServerInfo parse(final String json) throws DerpProtocolException {
        return ServerInfoJson.parseServerInfo(json.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void shouldPrintTheClientInfoTailscaleSends() {
        assertThat(new String(ServerInfoJson.clientInfo(true), StandardCharsets.UTF_8))
            .isEqualTo("{\"version\":2,\"CanAckPings\":true}");
        assertThat(new String(ServerInfoJson.clientInfo(false), StandardCharsets.UTF_8))
            .isEqualTo("{\"version\":2,\"CanAckPings\":false}");
    }

    @Test
    void shouldReadTheTokenBucketFieldsCaseInsensitively() throws DerpProtocolException {
        assertThat(parse("{\"version\":2}")).isEqualTo(new ServerInfoJson.ServerInfo(0, 0));
        assertThat(parse(" {\"version\": 2, \"TokenBucketBytesPerSecond\": 1000000, \"TokenBucketBytesBurst\":"
            + "2000000}\n")).isEqualTo(new ServerInfoJson.ServerInfo(1_000_000, 2_000_000));
        assertThat(parse("{\"tokenbucketbytespersecond\":5}")).isEqualTo(new ServerInfoJson.ServerInfo(5, 0));
        assertThat(parse("{\"TokenBucketBytesPerSecond\":-5}")).isEqualTo(new ServerInfoJson.ServerInfo(0, 0));
    }

    @Test
    void shouldRejectWhatIsNotAnObject() {
        assertThatThrownBy(() -> parse("[1]")).isInstanceOf(DerpProtocolException.class)
            .hasMessage("ServerInfo is not a JSON object");
        assertThatThrownBy(() -> parse("")).isInstanceOf(DerpProtocolException.class);
    }
}
