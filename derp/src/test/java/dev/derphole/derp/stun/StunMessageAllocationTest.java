package dev.derphole.derp.stun;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The server's per-request codec work allocates nothing but the source-address copy. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class StunMessageAllocationTest {
    private static final int WARM_UP = 50_000;
    private static final int MEASURED = 10_000;
    private static com.sun.management.ThreadMXBean threads;

    @BeforeAll
    static void allocationCounter() {
        final var bean = ManagementFactory.getThreadMXBean();
        assumeTrue(bean instanceof com.sun.management.ThreadMXBean t && t.isThreadAllocatedMemorySupported(),
            "this JVM cannot count per-thread allocation");
        threads = (com.sun.management.ThreadMXBean) bean;
        threads.setThreadAllocatedMemoryEnabled(true);
    }

    private static long allocatedBytes() {
        return threads.getThreadAllocatedBytes(Thread.currentThread().threadId());
    }

    @Test
    void shouldCheckRequestsWithoutAllocating() {
        final byte[] request = new byte[StunMessage.BINDING_REQUEST_LENGTH];
        StunMessage.writeBindingRequest(StunTransactionId.random(), request, 0);
        int valid = 0;
        for (int i = 0; i < WARM_UP; i++) {
            valid += StunMessage.checkBindingRequest(request, 0, request.length) == StunMessage.VALID_BINDING_REQUEST
                ? 1 : 0;
        }
        final long before = allocatedBytes();
        for (int i = 0; i < MEASURED; i++) {
            valid += StunMessage.checkBindingRequest(request, 0, request.length) == StunMessage.VALID_BINDING_REQUEST
                ? 1 : 0;
        }
        final long allocated = allocatedBytes() - before;
        assertThat(valid).isEqualTo(WARM_UP + MEASURED);
        assertThat(allocated).as("bytes allocated by %d checks", MEASURED).isLessThan(1024);
    }

    @Test
    void shouldWriteResponsesAllocatingAtMostTheAddressCopy() {
        final byte[] request = new byte[StunMessage.BINDING_REQUEST_LENGTH];
        StunMessage.writeBindingRequest(StunTransactionId.random(), request, 0);
        final byte[] out = new byte[StunMessage.MAX_BINDING_RESPONSE_LENGTH];
        final InetAddress v6 = InetAddress.ofLiteral("2001:db8::1");
        long total = 0;
        for (int i = 0; i < WARM_UP; i++) {
            total += StunMessage.writeBindingResponse(request, 0, v6, i & 0xFFFF, out, 0);
        }
        final long before = allocatedBytes();
        for (int i = 0; i < MEASURED; i++) {
            total += StunMessage.writeBindingResponse(request, 0, v6, i & 0xFFFF, out, 0);
        }
        final long perCall = (allocatedBytes() - before) / MEASURED;
        assertThat(total).isPositive();
        // InetAddress.getAddress() returns a fresh 16-byte array (32 bytes with its header) per call.
        assertThat(perCall).as("bytes allocated per response").isLessThanOrEqualTo(32);
    }
}
