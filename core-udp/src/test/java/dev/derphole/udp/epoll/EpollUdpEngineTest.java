package dev.derphole.udp.epoll;

import dev.derphole.udp.DatagramEngineContractTest;
import dev.derphole.udp.EngineKind;

/** The engine contract for the epoll engine. */
class EpollUdpEngineTest extends DatagramEngineContractTest
{
    @Override
    protected EngineKind kind()
    {
        return EngineKind.EPOLL;
    }
}
