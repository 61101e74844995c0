package dev.derphole.udp.nio;

import dev.derphole.udp.DatagramEngineContractTest;
import dev.derphole.udp.EngineKind;

/** The engine contract for the nio engine. */
class NioUdpEngineTest extends DatagramEngineContractTest {
    @Override
    protected EngineKind kind() {
        return EngineKind.NIO;
    }
}
