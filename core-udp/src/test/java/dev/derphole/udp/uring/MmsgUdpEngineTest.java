package dev.derphole.udp.uring;

import dev.derphole.udp.DatagramEngineContractTest;
import dev.derphole.udp.EngineKind;

/** The engine contract for the mmsg engine. */
class MmsgUdpEngineTest extends DatagramEngineContractTest {
    @Override
    protected EngineKind kind() {
        return EngineKind.MMSG;
    }
}
