package dev.derphole.udp.epoll;

import static dev.derphole.udp.UdpTestSupport.describeAll;
import static dev.derphole.udp.UdpTestSupport.describeReceived;
import static dev.derphole.udp.UdpTestSupport.loopback4;
import static dev.derphole.udp.UdpTestSupport.payload;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;

import org.junit.jupiter.api.Test;

import dev.derphole.udp.DatagramEngine;
import dev.derphole.udp.DatagramEngineConfig;
import dev.derphole.udp.DatagramEngineContractTest;
import dev.derphole.udp.DatagramEngines;
import dev.derphole.udp.EngineKind;
import dev.derphole.udp.PacketBatch;
import dev.derphole.udp.UdpCounter;
import dev.derphole.udp.UdpTestSupport;

/** The engine contract for the epoll engine, plus its own receive queue. */
class EpollUdpEngineTest extends DatagramEngineContractTest {
    @Override
    protected EngineKind kind() {
        return EngineKind.EPOLL;
    }

    @Test
    void shouldDropAndCountWhenItsReceiveQueueIsFullWithoutCorruptingQueuedDatagrams() throws IOException {
        final DatagramEngineConfig.Builder config = DatagramEngineConfig.builder(loopback4()).epollQueueSlots(8);
        try (DatagramEngine receiver = DatagramEngines.open(EngineKind.EPOLL, config.build());
             DatagramEngine sender = DatagramEngines.open(EngineKind.MMSG,
                 DatagramEngineConfig.builder(loopback4()).build());
             PacketBatch out = new PacketBatch(40, 1500);
             PacketBatch in = new PacketBatch(64, 1500)) {
            final List<byte[]> sent = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                final byte[] message = payload(77, i, 900 + i);
                sent.add(message);
                out.add(message, 0, message.length, receiver.localAddress());
            }
            assertThat(sender.sendBatch(out)).isEqualTo(40);
            final long deadline = System.nanoTime() + UdpTestSupport.ARRIVAL_TIMEOUT_NS;
            while (receiver.counters().get(UdpCounter.RECEIVE_QUEUE_DROPS) < 32 && System.nanoTime() < deadline) {
                LockSupport.parkNanos(1_000_000L);
            }

            final var got = UdpTestSupport.receive(receiver, in, 8);

            assertThat(receiver.counters().get(UdpCounter.RECEIVE_QUEUE_DROPS)).isEqualTo(32);
            assertThat(describeReceived(got)).containsExactlyElementsOf(describeAll(sent.subList(0, 8)));
        }
    }
}
