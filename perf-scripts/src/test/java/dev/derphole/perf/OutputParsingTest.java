package dev.derphole.perf;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The lines the harness reads from its children: the relay's URL and the Java forwarder's ports. */
@Timeout(10)
class OutputParsingTest {
    @Test
    void shouldFindTheRelayPortInItsOutput() {
        assertThat(RelayForwarder.parsePort("[info] starting\nderp-url http://127.0.0.1:45043?stun=-1\nrelay: ok\n"))
            .isEqualTo(45043);
        assertThat(RelayForwarder.parsePort("derp-url http://127.0.0.1:3340\n")).isEqualTo(3340);
        assertThat(RelayForwarder.parsePort("relay: starting\n")).isEqualTo(-1);
        assertThat(RelayForwarder.parsePort("derp-url http://127.0.0.1:99999?stun=-1\n")).isEqualTo(-1);
        assertThat(RelayForwarder.parsePort("derp-url http://10.0.0.1:3340\n")).isEqualTo(-1);
    }

    @Test
    void shouldFindTheForwarderPorts() {
        assertThat(TcpForwarder.parseListening("listening 4000,4001,4002\n")).containsExactly(4000, 4001, 4002);
        assertThat(TcpForwarder.parseListening("warning: x\nlistening 5\n")).containsExactly(5);
        assertThat(TcpForwarder.parseListening("")).isNull();
        assertThat(TcpForwarder.parseListening("listening 4000,x\n")).isNull();
    }
}
