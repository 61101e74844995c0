package dev.derphole.derp.proto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.derphole.crypto.nacl.Curve25519KeyPair;
import dev.derphole.testing.Fuzz;

@Timeout(60)
class FrameCodecTest {
    private static final int[] ALL_TYPES = {
        FrameType.SERVER_KEY, FrameType.CLIENT_INFO, FrameType.SERVER_INFO, FrameType.SEND_PACKET,
        FrameType.RECV_PACKET, FrameType.KEEP_ALIVE, FrameType.NOTE_PREFERRED, FrameType.PEER_GONE,
        FrameType.PEER_PRESENT, FrameType.FORWARD_PACKET, FrameType.WATCH_CONNS, FrameType.CLOSE_PEER,
        FrameType.PING, FrameType.PONG, FrameType.HEALTH, FrameType.RESTARTING};

    @Test
    void shouldRoundTripEveryFrameTypeWithRandomPayloads() throws IOException {
        final SplittableRandom random = new SplittableRandom(Fuzz.DEFAULT_SEED);
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final FrameWriter writer = new FrameWriter(bytes);
        final List<byte[]> payloads = new ArrayList<>();
        for (int round = 0; round < 20; round++) {
            for (final int type : ALL_TYPES) {
                final int length = round == 0 ? 0 : random.nextInt(round < 10 ? 100 : DerpProtocol.MAX_PACKET_SIZE);
                final byte[] payload = new byte[length];
                random.nextBytes(payload);
                payloads.add(payload);
                writer.writeFrame(type, payload, 0, payload.length);
            }
        }
        writer.flush();

        final FrameReader reader = new FrameReader(new ByteArrayInputStream(bytes.toByteArray()));
        int index = 0;
        for (int round = 0; round < 20; round++) {
            for (final int type : ALL_TYPES) {
                assertThat(reader.readHeader(DerpProtocol.MAX_FRAME_LENGTH)).isEqualTo(type);
                assertThat(reader.readRest()).isEqualTo(payloads.get(index++));
            }
        }
        assertThat(reader.readHeader(DerpProtocol.MAX_FRAME_LENGTH)).isEqualTo(-1);
    }

    @Test
    void shouldWriteSendPacketLayoutExactly() throws IOException {
        final NodeKey key = NodeKey.of(Curve25519KeyPair.generate().publicKey());
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final FrameWriter writer = new FrameWriter(bytes);
        writer.writeKeyedFrame(FrameType.SEND_PACKET, key, new byte[] {1, 2, 3}, 0, 3);
        writer.flush();
        final byte[] wire = bytes.toByteArray();
        assertThat(wire).hasSize(5 + 32 + 3);
        assertThat(wire[0]).isEqualTo((byte)0x04);
        assertThat(wire[1] | wire[2] | wire[3]).isZero();
        assertThat(wire[4]).isEqualTo((byte)35);
        assertThat(NodeKey.read(wire, 5)).isEqualTo(key);
        assertThat(key.matches(wire, 5)).isTrue();
        assertThat(wire[37]).isEqualTo((byte)1);
    }

    @Test
    void shouldWriteFramesLargerThanTheBuffer() throws IOException {
        final byte[] big = new byte[FrameWriter.BUFFER_LENGTH * 2 + 7];
        new SplittableRandom(1).nextBytes(big);
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final FrameWriter writer = new FrameWriter(bytes);
        writer.writeFrame(FrameType.HEALTH, new byte[] {9}, 0, 1);
        writer.writeFrame(FrameType.CLIENT_INFO, big, 0, big.length);
        writer.flush();
        final FrameReader reader = new FrameReader(new ByteArrayInputStream(bytes.toByteArray()));
        assertThat(reader.readHeader(10)).isEqualTo(FrameType.HEALTH);
        assertThat(reader.readHeader(DerpProtocol.MAX_FRAME_LENGTH)).isEqualTo(FrameType.CLIENT_INFO);
        assertThat(reader.readRest()).isEqualTo(big);
    }

    @Test
    void shouldRejectOversizeFrameBeforeReadingItsPayload() {
        final byte[] header = {FrameType.SEND_PACKET, 0x7f, (byte)0xff, (byte)0xff, (byte)0xff};
        final FrameReader reader = new FrameReader(new ByteArrayInputStream(header));
        assertThatThrownBy(() -> reader.readHeader(DerpProtocol.MAX_FRAME_LENGTH))
            .isInstanceOf(DerpProtocolException.class)
            .hasMessageContaining("SendPacket");
        final byte[] max = {FrameType.SEND_PACKET, (byte)0xff, (byte)0xff, (byte)0xff, (byte)0xff};
        assertThatThrownBy(() -> new FrameReader(new ByteArrayInputStream(max)).readHeader(Integer.MAX_VALUE))
            .isInstanceOf(DerpProtocolException.class);
    }

    @Test
    void shouldSkipUnreadPayloadOfUnknownFrames() throws IOException {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final FrameWriter writer = new FrameWriter(bytes);
        writer.writeFrame(0x7e, new byte[500], 0, 500);
        writer.writeFrame(FrameType.PING, new byte[] {1, 2, 3, 4, 5, 6, 7, 8}, 0, 8);
        writer.flush();
        final FrameReader reader = new FrameReader(new ByteArrayInputStream(bytes.toByteArray()));
        assertThat(reader.readHeader(1000)).isEqualTo(0x7e);
        assertThat(reader.readHeader(1000)).isEqualTo(FrameType.PING);
        assertThat(reader.remaining()).isEqualTo(8);
    }

    @Test
    void shouldFailOnTruncationWithEofNeverHang() {
        final byte[] frame = {FrameType.PING, 0, 0, 0, 8, 1, 2, 3};
        final FrameReader reader = new FrameReader(new ByteArrayInputStream(frame));
        assertThatThrownBy(() -> {
            reader.readHeader(100);
            reader.readRest();
        }).isInstanceOf(EOFException.class);
    }

    @Test
    void shouldOnlyEverThrowIoExceptionsOnGarbageStreams() {
        final ByteArrayOutputStream valid = new ByteArrayOutputStream();
        try {
            final FrameWriter writer = new FrameWriter(valid);
            final NodeKey key = NodeKey.of(Curve25519KeyPair.generate().publicKey());
            writer.writeKeyedFrame(FrameType.RECV_PACKET, key, new byte[40], 0, 40);
            writer.writeFrame(FrameType.PING, new byte[8], 0, 8);
            writer.writeKeyAndByteFrame(FrameType.PEER_GONE, key, DerpProtocol.PEER_GONE_NOT_HERE);
            writer.flush();
        } catch (final IOException e) {
            throw new AssertionError(e);
        }
        final List<byte[]> inputs = new ArrayList<>(Fuzz.randomBytes(Fuzz.DEFAULT_SEED, 2000, 200));
        inputs.addAll(Fuzz.mutations(Fuzz.DEFAULT_SEED, valid.toByteArray(), 2000));
        inputs.addAll(Fuzz.truncations(valid.toByteArray()));
        Fuzz.forAll(inputs, input -> {
            final FrameReader reader = new FrameReader(new ByteArrayInputStream(input));
            try {
                for (int frames = 0; frames < input.length + 1; frames++) {
                    if (reader.readHeader(DerpProtocol.MAX_PACKET_SIZE + 64) < 0) {
                        return;
                    }
                    reader.readRest();
                }
                throw new AssertionError("more frames than bytes");
            } catch (final IOException expected) {
                // The parser's own failure mode: EOF inside a frame or a protocol violation.
            }
        });
    }
}
