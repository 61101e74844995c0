package dev.derphole.session.payload;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

class PayloadBodyTest {
    @Test
    void shouldCopyExactlySizeBytesAndLeaveTheRest() throws Exception {
        final byte[] data = new byte[200_000];
        new SplittableRandom(7).nextBytes(data);
        final ByteArrayInputStream in = new ByteArrayInputStream(data);
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        PayloadBody.copyFile(in, out, 150_001);
        assertThat(out.toByteArray()).isEqualTo(Arrays.copyOf(data, 150_001));
        assertThat(in.available()).isEqualTo(200_000 - 150_001);
    }

    @Test
    void shouldCopyNothingForAnEmptyFile() throws Exception {
        final ByteArrayInputStream in = new ByteArrayInputStream(new byte[] {1, 2});
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        PayloadBody.copyFile(in, out, 0);
        assertThat(out.size()).isZero();
        assertThat(in.available()).isEqualTo(2);
    }

    @Test
    void shouldRejectAShortBody() {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertThatThrownBy(() -> PayloadBody.copyFile(new ByteArrayInputStream(new byte[3]), out, 5))
            .isInstanceOf(PayloadException.class).hasMessage("incomplete file transfer: received 3 of 5 bytes");
        assertThat(out.size()).isEqualTo(3);
        assertThatThrownBy(() -> PayloadBody.copyFile(new ByteArrayInputStream(new byte[0]), out, -1))
            .isInstanceOf(IllegalArgumentException.class);
    }
}
