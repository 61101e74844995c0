package dev.derphole.udp.uring;

import dev.derphole.udp.DatagramEngineContractTest;
import dev.derphole.udp.EngineKind;

/** The engine contract for the io_uring engine. */
class IoUringUdpEngineTest extends DatagramEngineContractTest {
    @Override
    protected EngineKind kind() {
        return EngineKind.URING;
    }
}
