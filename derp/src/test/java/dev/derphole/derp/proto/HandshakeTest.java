package dev.derphole.derp.proto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.derphole.crypto.nacl.Curve25519KeyPair;
import dev.derphole.testing.Fuzz;

@Timeout(60)
class HandshakeTest {
    private final Curve25519KeyPair server = Curve25519KeyPair.generate();
    private final Curve25519KeyPair client = Curve25519KeyPair.generate();
    private final NodeKey serverKey = NodeKey.of(server.publicKey());
    private final NodeKey clientKey = NodeKey.of(client.publicKey());

    @Test
    void shouldRoundTripServerKeyAndIgnoreFutureBytes() throws DerpProtocolException {
        final byte[] payload = Handshake.serverKeyPayload(serverKey);
        assertThat(payload).startsWith(0x44, 0x45, 0x52, 0x50, 0xF0, 0x9F, 0x94, 0x91);
        assertThat(Handshake.parseServerKey(payload)).isEqualTo(serverKey);
        final byte[] longer = java.util.Arrays.copyOf(payload, payload.length + 17);
        assertThat(Handshake.parseServerKey(longer)).isEqualTo(serverKey);
    }

    @Test
    void shouldRejectBadMagic() {
        final byte[] payload = Handshake.serverKeyPayload(serverKey);
        payload[3] ^= 1;
        assertThatThrownBy(() -> Handshake.parseServerKey(payload)).hasMessageContaining("magic");
    }

    @Test
    void shouldRoundTripClientInfoAndServerInfo() throws DerpProtocolException {
        final byte[] json = "{\"version\":2,\"CanAckPings\":true}".getBytes(StandardCharsets.UTF_8);
        final Handshake.OpenedClientInfo opened =
            Handshake.openClientInfo(server, Handshake.clientInfoPayload(client, serverKey, json));
        assertThat(opened.clientKey()).isEqualTo(clientKey);
        assertThat(opened.json()).isEqualTo(json);

        final byte[] info = "{\"version\":2}".getBytes(StandardCharsets.UTF_8);
        assertThat(Handshake.openServerInfo(client, serverKey, Handshake.serverInfoPayload(server, clientKey, info)))
            .isEqualTo(info);
    }

    @Test
    void shouldRejectClientInfoSealedToAnotherServer() {
        final NodeKey other = NodeKey.of(Curve25519KeyPair.generate().publicKey());
        final byte[] payload = Handshake.clientInfoPayload(client, other, new byte[] {'{', '}'});
        assertThatThrownBy(() -> Handshake.openClientInfo(server, payload))
            .isInstanceOf(DerpProtocolException.class);
    }

    @Test
    void shouldOnlyThrowProtocolExceptionsOnGarbageHandshakes() {
        final byte[] valid = Handshake.clientInfoPayload(client, serverKey, "{\"version\":2}".getBytes());
        final List<byte[]> inputs = new ArrayList<>(Fuzz.randomBytes(Fuzz.DEFAULT_SEED, 300, 200));
        inputs.addAll(Fuzz.mutations(Fuzz.DEFAULT_SEED, valid, 300));
        inputs.addAll(Fuzz.truncations(valid));
        // A mutation can overwrite a byte with the value it had (keys and nonce are random per run): not garbage.
        inputs.removeIf(input -> Arrays.equals(input, valid));
        Fuzz.forAll(inputs, input -> {
            assertThatThrownBy(() -> Handshake.openClientInfo(server, input))
                .isInstanceOf(DerpProtocolException.class);
            assertThatThrownBy(() -> Handshake.openServerInfo(client, serverKey, input))
                .isInstanceOf(DerpProtocolException.class);
            try {
                Handshake.parseServerKey(input);
            } catch (final DerpProtocolException expected) {
                // fine
            }
        });
    }

    @Test
    void shouldParseAndPrintNodeKeysInTailscaleTextForm() {
        final String text = clientKey.toString();
        assertThat(text).startsWith("nodekey:").hasSize(8 + 64);
        assertThat(NodeKey.parse(text)).isEqualTo(clientKey);
        assertThat(NodeKey.parse(clientKey.toHex())).isEqualTo(clientKey);
        assertThatThrownBy(() -> NodeKey.parse("nodekey:zz")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> NodeKey.parse("nodekey:"
            + "g".repeat(64))).isInstanceOf(IllegalArgumentException.class);
    }
}
