package dev.derphole.session.relay;

import java.net.UnknownHostException;

import dev.derphole.derp.client.DerpTarget;
import dev.derphole.derp.map.DerpNode;

/** Bridges DERP map nodes to DERP client targets. */
public final class RelayTargets {
    private RelayTargets() {
    }

    /**
     * The target that dials {@code node}: its scheme and port, its TLS name ({@code CertName} or host), and the
     * addresses from its IPv4/IPv6 fields (DNS only for a family whose field is empty).
     *
     * @throws UnknownHostException when the node has no usable address
     */
    public static DerpTarget of(final DerpNode node, final DerpNode.HostResolver resolver) throws UnknownHostException {
        return new DerpTarget(!node.plainHttp(), node.hostName(), node.effectiveDerpPort(), node.tlsServerName(),
            node.dialAddresses(resolver));
    }
}
