package dev.derphole.jmh.derp;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import dev.derphole.crypto.nacl.Curve25519KeyPair;
import dev.derphole.derp.proto.DerpProtocol;
import dev.derphole.derp.proto.FrameReader;
import dev.derphole.derp.proto.FrameType;
import dev.derphole.derp.proto.FrameWriter;
import dev.derphole.derp.proto.NodeKey;
import dev.derphole.jmh.HotPathBenchmark;

/**
 * The DERP frame codec on its own (no sockets): encoding a SendPacket into the writer's buffer, and
 * decoding a RecvPacket header + key + payload from a stream. The relay does one of each per packet.
 */
@State(Scope.Thread)
public class FrameCodecBenchmark extends HotPathBenchmark {
    @Param({"1200", "16384"})
    public int packetLength;

    private final NodeKey key = NodeKey.of(Curve25519KeyPair.generate().publicKey());
    private FrameWriter writer;
    private byte[] packet;
    private byte[] encodedFrames;
    private byte[] readBuffer;
    private ByteArrayInputStream encodedStream;
    private FrameReader reader;

    @Setup
    public void setUp() throws IOException {
        packet = new byte[packetLength];
        writer = new FrameWriter(OutputStream.nullOutputStream());
        final java.io.ByteArrayOutputStream frames = new java.io.ByteArrayOutputStream();
        final FrameWriter frameWriter = new FrameWriter(frames);
        for (int i = 0; i < 64; i++) {
            frameWriter.writeKeyedFrame(FrameType.RECV_PACKET, key, packet, 0, packet.length);
        }
        frameWriter.flush();
        encodedFrames = frames.toByteArray();
        readBuffer = new byte[DerpProtocol.MAX_PACKET_SIZE];
        encodedStream = new ByteArrayInputStream(encodedFrames);
        reader = new FrameReader(encodedStream);
    }

    /** One SendPacket frame into the buffered writer (flushes to a null stream when full). */
    @Benchmark
    public int encodeSendPacket() throws IOException {
        writer.writeKeyedFrame(FrameType.SEND_PACKET, key, packet, 0, packet.length);
        return writer.buffered();
    }

    /** One RecvPacket frame: header, source key check, payload copy. */
    @Benchmark
    public boolean decodeRecvPacket() throws IOException {
        if (reader.readHeader(DerpProtocol.MAX_FRAME_LENGTH) < 0) {
            encodedStream.reset();
            reader.readHeader(DerpProtocol.MAX_FRAME_LENGTH);
        }
        reader.read(readBuffer, 0, reader.remaining());
        return key.matches(readBuffer, 0);
    }
}
