package dev.derphole.derp.stun;

import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * A parsed binding success response.
 *
 * @param transactionId the id echoed from the request
 * @param mappedAddress the requester's address as the server saw it (server-reflexive address)
 */
public record StunResponse(StunTransactionId transactionId, InetSocketAddress mappedAddress) {
    /** @throws NullPointerException for a null component */
    public StunResponse {
        Objects.requireNonNull(transactionId, "transactionId");
        Objects.requireNonNull(mappedAddress, "mappedAddress");
    }
}
