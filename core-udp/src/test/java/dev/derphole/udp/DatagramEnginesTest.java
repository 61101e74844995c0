package dev.derphole.udp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.derphole.udp.epoll.EpollUdpEngine;
import dev.derphole.udp.nio.NioUdpEngine;
import dev.derphole.udp.uring.IoUringUdpEngine;
import dev.derphole.udp.uring.MmsgUdpEngine;

@Timeout(value = 20, unit = TimeUnit.SECONDS)
class DatagramEnginesTest {
    private final String savedProperty = System.getProperty(DatagramEngines.ENGINE_PROPERTY);

    @AfterEach
    void restoreProperty() {
        if (savedProperty == null) {
            System.clearProperty(DatagramEngines.ENGINE_PROPERTY);
        } else {
            System.setProperty(DatagramEngines.ENGINE_PROPERTY, savedProperty);
        }
    }

    @Test
    void shouldPickTheFirstAvailableEngineInPreferenceOrder() {
        EngineKind expected = null;
        for (final EngineKind kind : EngineKind.values()) {
            if (kind.isAvailable()) {
                expected = kind;
                break;
            }
        }

        assertThat(DatagramEngines.bestAvailable()).isEqualTo(expected);
        assertThat(EngineKind.values()).containsExactly(EngineKind.URING, EngineKind.MMSG, EngineKind.EPOLL,
            EngineKind.NIO);
    }

    @Test
    void shouldPickIoUringOnThisMachine() throws IOException {
        // This VM has io_uring enabled (kernel.io_uring_disabled=0, platform-measurements.md): the automatic
        // choice must be the best engine, not a silent fallback.
        System.clearProperty(DatagramEngines.ENGINE_PROPERTY);
        assertThat(IoUringUdpEngine.unavailabilityCause()).as("io_uring unavailability").isNull();
        if (DatagramEngines.override() == null) {
            try (DatagramEngine engine = DatagramEngines.open(
                DatagramEngineConfig.builder(UdpTestSupport.loopback4()).build())) {
                assertThat(engine).isInstanceOf(IoUringUdpEngine.class);
                assertThat(engine.kind()).isEqualTo(EngineKind.URING);
            }
        }
    }

    @Test
    void shouldHonourTheOverrideProperty() throws IOException {
        final Class<?>[] expected = {IoUringUdpEngine.class, MmsgUdpEngine.class, EpollUdpEngine.class,
            NioUdpEngine.class};
        for (final EngineKind kind : EngineKind.values()) {
            System.setProperty(DatagramEngines.ENGINE_PROPERTY, kind.label().toUpperCase(java.util.Locale.ROOT));
            assertThat(DatagramEngines.selected()).isEqualTo(kind);
            try (DatagramEngine engine = DatagramEngines.open(
                DatagramEngineConfig.builder(UdpTestSupport.loopback4()).build())) {
                assertThat(engine).isInstanceOf(expected[kind.ordinal()]);
            }
        }
    }

    @Test
    void shouldRejectAnUnknownEngineName() {
        System.setProperty(DatagramEngines.ENGINE_PROPERTY, "dpdk");

        assertThatThrownBy(DatagramEngines::selected)
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("dpdk")
            .hasMessageContaining("uring, mmsg, epoll or nio");
    }

    @Test
    void shouldIgnoreABlankOverride() {
        System.setProperty(DatagramEngines.ENGINE_PROPERTY, " ");

        assertThat(DatagramEngines.override()).isEqualTo(System.getenv(DatagramEngines.ENGINE_ENV) == null
            || System.getenv(DatagramEngines.ENGINE_ENV).isBlank()
            ? null : EngineKind.parse(System.getenv(DatagramEngines.ENGINE_ENV)));
    }
}
