package dev.derphole.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SessionAeadTest {
    private static final byte[] KEY = key(1);
    private static final int PREFIX = 0x01020304;

    @Test
    void shouldRoundTripAndMatchPlainJdkGcmWithPrefixAndNumberNonce() throws Exception {
        final SessionAead sealer = SessionAead.sealer(KEY, PREFIX);
        final SessionAead opener = SessionAead.opener(KEY, PREFIX);
        final byte[] aad = {0x10, 1, 2, 3};
        final byte[] plain = new byte[1000];
        new SplittableRandom(7).nextBytes(plain);
        final byte[] sealed = new byte[plain.length + SessionAead.TAG_LENGTH];

        final int n = sealer.seal(0x0A0B0C0D0E0F1011L, aad, 0, aad.length, plain, 0, plain.length, sealed, 0);

        assertThat(n).isEqualTo(plain.length + 16);
        final Cipher jdk = Cipher.getInstance("AES/GCM/NoPadding");
        final byte[] nonce = HexFormat.of().parseHex("010203040a0b0c0d0e0f1011");
        jdk.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(KEY, "AES"), new GCMParameterSpec(128, nonce));
        jdk.updateAAD(aad);
        assertThat(jdk.doFinal(plain)).isEqualTo(sealed);

        final byte[] back = new byte[plain.length];
        assertThat(opener.open(0x0A0B0C0D0E0F1011L, aad, 0, aad.length, sealed, 0, n, back, 0)).isEqualTo(1000);
        assertThat(back).isEqualTo(plain);
    }

    @Test
    void shouldSealInPlace() {
        final SessionAead sealer = SessionAead.sealer(KEY, PREFIX);
        final SessionAead opener = SessionAead.opener(KEY, PREFIX);
        final byte[] buf = new byte[64];
        Arrays.fill(buf, 4, 36, (byte)0x5a);
        final int n = sealer.seal(1, buf, 0, 4, buf, 4, 32, buf, 4);
        final byte[] out = new byte[32];
        assertThat(opener.open(1, buf, 0, 4, buf, 4, n, out, 0)).isEqualTo(32);
        assertThat(out).containsOnly((byte)0x5a);
    }

    @Test
    void shouldRejectTamperedCiphertextTagAadNumberAndWrongKey() {
        final SessionAead sealer = SessionAead.sealer(KEY, PREFIX);
        final byte[] aad = {1, 2};
        final byte[] plain = "hello".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        final byte[] sealed = new byte[plain.length + 16];
        final int n = sealer.seal(5, aad, 0, 2, plain, 0, plain.length, sealed, 0);
        final byte[] out = new byte[64];

        for (int i = 0; i < n; i++) {
            final byte[] t = sealed.clone();
            t[i] ^= 1;
            assertThat(SessionAead.opener(KEY, PREFIX).open(5, aad, 0, 2, t, 0, n, out, 0)).isEqualTo(-1);
        }
        final SessionAead opener = SessionAead.opener(KEY, PREFIX);
        assertThat(opener.open(5, new byte[] {1, 3}, 0, 2, sealed, 0, n, out, 0)).isEqualTo(-1);
        assertThat(opener.open(6, aad, 0, 2, sealed, 0, n, out, 0)).isEqualTo(-1);
        assertThat(SessionAead.opener(KEY, PREFIX + 1).open(5, aad, 0, 2, sealed, 0, n, out, 0)).isEqualTo(-1);
        assertThat(SessionAead.opener(key(2), PREFIX).open(5, aad, 0, 2, sealed, 0, n, out, 0)).isEqualTo(-1);
        assertThat(opener.open(5, aad, 0, 2, sealed, 0, 15, out, 0)).isEqualTo(-1);
        assertThat(opener.open(5, aad, 0, 2, sealed, 0, n, out, 0)).isEqualTo(plain.length);
    }

    @Test
    void shouldRefuseToReuseOrLowerAPacketNumber() {
        final SessionAead sealer = SessionAead.sealer(KEY, PREFIX);
        final byte[] buf = new byte[64];
        sealer.seal(10, buf, 0, 0, buf, 0, 8, buf, 32);
        assertThatThrownBy(() -> sealer.seal(10, buf, 0, 0, buf, 0, 8, buf, 32))
            .isInstanceOf(IllegalStateException.class).hasMessageContaining("nonce reuse");
        assertThatThrownBy(() -> sealer.seal(3, buf, 0, 0, buf, 0, 8, buf, 32))
            .isInstanceOf(IllegalStateException.class);
        sealer.seal(11, buf, 0, 0, buf, 0, 8, buf, 32);
    }

    @Test
    void shouldRejectBadKeys() {
        assertThatThrownBy(() -> SessionAead.sealer(new byte[16], 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SessionAead.opener(null, 0)).isInstanceOf(IllegalArgumentException.class);
    }

    /** Documents the JDK's per-init allocation quoted in SessionAead's javadoc and fails if it grows a lot. */
    @Test
    void shouldAllocateOnlyTheMeasuredJdkInitCostPerPacket() {
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        final SessionAead sealer = SessionAead.sealer(KEY, PREFIX);
        final SessionAead opener = SessionAead.opener(KEY, PREFIX);
        final byte[] buf = new byte[1500];
        final byte[] out = new byte[1500];
        long pn = 0;
        for (int i = 0; i < 20_000; i++) {
            final int n = sealer.seal(++pn, buf, 0, 10, buf, 10, 1400, buf, 10);
            opener.open(pn, buf, 0, 10, buf, 10, n, out, 0);
        }
        final int packets = 10_000;
        final long before = threads.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < packets; i++) {
            final int n = sealer.seal(++pn, buf, 0, 10, buf, 10, 1400, buf, 10);
            assertThat(opener.open(pn, buf, 0, 10, buf, 10, n, out, 0)).isEqualTo(1400);
        }
        final double perPacket = (threads.getCurrentThreadAllocatedBytes() - before) / (double)packets;
        System.out.printf("SessionAead seal+open allocation: %.0f B per packet%n", perPacket);
        assertThat(perPacket).isLessThan(4096);
    }

    private static byte[] key(final int seed) {
        final byte[] k = new byte[32];
        new SplittableRandom(seed).nextBytes(k);
        return k;
    }
}
