package dev.derphole.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class BytePipeTest {
    @Test
    void shouldDeliverEveryByteInOrderAcrossTheRingsWrapThenEnd() throws Exception {
        final byte[] data = new byte[1 << 20];
        new SplittableRandom(1).nextBytes(data);
        final BytePipe pipe = new BytePipe(4099); // odd size: pieces straddle the wrap
        final CompletableFuture<Void> writing = CompletableFuture.runAsync(() -> {
            try (OutputStream sink = pipe.sink()) {
                final SplittableRandom sizes = new SplittableRandom(2);
                int at = 0;
                while (at < data.length) {
                    final int n = Math.min(data.length - at, 1 + sizes.nextInt(10_000));
                    sink.write(data, at, n);
                    at += n;
                }
            } catch (final IOException e) {
                throw new IllegalStateException(e);
            }
        });
        final ByteArrayOutputStream got = new ByteArrayOutputStream();
        try (InputStream source = pipe.source()) {
            final byte[] buffer = new byte[777];
            int n;
            while ((n = source.read(buffer)) >= 0) {
                got.write(buffer, 0, n);
            }
        }
        writing.get(10, TimeUnit.SECONDS);
        assertThat(got.toByteArray()).isEqualTo(data);
    }

    @Test
    void shouldHoldTheWriterAtItsCapacityUntilTheReaderTakes() throws Exception {
        final BytePipe pipe = new BytePipe(8);
        final CompletableFuture<Void> writing = CompletableFuture.runAsync(() -> {
            try {
                pipe.sink().write(new byte[20], 0, 20);
            } catch (final IOException e) {
                throw new IllegalStateException(e);
            }
        });
        Thread.sleep(100);
        assertThat(writing).isNotDone();
        final byte[] buffer = new byte[20];
        int read = 0;
        while (read < 20) {
            read += pipe.source().read(buffer, read, 20 - read);
        }
        writing.get(5, TimeUnit.SECONDS);
    }

    @Test
    void shouldGiveTheReaderTheFailureInsteadOfAnEndOfStream() throws Exception {
        final BytePipe pipe = new BytePipe(64);
        pipe.sink().write(new byte[] {1, 2, 3}, 0, 3);
        pipe.fail("the sender aborted");
        assertThatThrownBy(() -> pipe.source().read(new byte[8], 0, 8)).isInstanceOf(IOException.class)
            .hasMessage("the sender aborted");
    }

    @Test
    void shouldFailTheWriterOnceTheReaderGaveUp() throws Exception {
        final BytePipe pipe = new BytePipe(4);
        final CompletableFuture<Void> writing = CompletableFuture.runAsync(() -> {
            try {
                pipe.sink().write(new byte[100], 0, 100);
            } catch (final IOException e) {
                throw new IllegalStateException(e);
            }
        });
        Thread.sleep(50);
        pipe.source().close();
        assertThatThrownBy(() -> writing.get(5, TimeUnit.SECONDS)).hasRootCauseInstanceOf(IOException.class)
            .hasStackTraceContaining("reader stopped");
    }
}
