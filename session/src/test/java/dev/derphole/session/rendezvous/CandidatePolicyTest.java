package dev.derphole.session.rendezvous;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.derphole.session.rendezvous.CandidatePolicy.Verdict;
import dev.derphole.testing.Fuzz;

@Timeout(30)
class CandidatePolicyTest {
    private static final Object[][] TABLE = {
        {"192.0.2.10:41641", Verdict.OK},
        {"203.0.113.255:1", Verdict.OK},
        {"10.0.0.1:65535", Verdict.OK},
        {"169.254.1.2:5000", Verdict.OK},
        {"[2001:db8::1]:41641", Verdict.OK},
        {"[2001:db8:0:1:1:1:1:1]:9", Verdict.OK},
        {"[2001:db8::1:0:0:1]:9", Verdict.OK},
        {"[2001:0:0:1::1]:9", Verdict.OK},
        {"[fd7a:115c:a1e0::1]:9", Verdict.OK},
        {"[::2]:9", Verdict.OK},
        {"[2001:db8::]:9", Verdict.OK},
        {"", Verdict.NOT_ADDRESS},
        {"192.0.2.10", Verdict.NOT_ADDRESS},
        {"192.0.2.10:", Verdict.NOT_ADDRESS},
        {"192.0.2:80", Verdict.NOT_ADDRESS},
        {"192.0.2.10.1:80", Verdict.NOT_ADDRESS},
        {"192.0.2.256:80", Verdict.NOT_ADDRESS},
        {"192.0.2.10:65536", Verdict.NOT_ADDRESS},
        {"192.0.2.10:-1", Verdict.NOT_ADDRESS},
        {"192.0.2.10:+80", Verdict.NOT_ADDRESS},
        {"192.0.2.10:80 ", Verdict.NOT_ADDRESS},
        {"example.com:80", Verdict.NOT_ADDRESS},
        {"localhost:80", Verdict.NOT_ADDRESS},
        {"2001:db8::1:80", Verdict.NOT_ADDRESS},
        {"[2001:db8::1]", Verdict.NOT_ADDRESS},
        {"[2001:db8:::1]:80", Verdict.NOT_ADDRESS},
        {"[2001:db8::1::2]:80", Verdict.NOT_ADDRESS},
        {"[1:2:3:4:5:6:7:8:9]:80", Verdict.NOT_ADDRESS},
        {"[12345::1]:80", Verdict.NOT_ADDRESS},
        {"[::ffff:192.0.2.1]:80", Verdict.NOT_ADDRESS},
        {"[\u0663::1]:80", Verdict.NOT_ADDRESS},
        {"\u0661.2.3.4:80", Verdict.NOT_ADDRESS},
        {"192.0.2.010:80", Verdict.NOT_CANONICAL},
        {"192.0.2.10:080", Verdict.NOT_CANONICAL},
        {"[2001:DB8::1]:80", Verdict.NOT_CANONICAL},
        {"[2001:db8:0:0:0:0:0:1]:80", Verdict.NOT_CANONICAL},
        {"[2001:0db8::1]:80", Verdict.NOT_CANONICAL},
        {"[2001:db8::1:0:0:1]:9".replace("::1:0:0:1", ":0:0:1::1"), Verdict.NOT_CANONICAL},
        {"[2001:db8:0::1]:80", Verdict.NOT_CANONICAL},
        {"[2001:db8::0:1]:80", Verdict.NOT_CANONICAL},
        {"[2001:db8::1:1:1:1:1]:9", Verdict.NOT_CANONICAL},
        {"[2001:db8:1::1:1:1:1:1]:9", Verdict.NOT_ADDRESS},
        {"[::ffff:c000:201]:80", Verdict.NOT_CANONICAL},
        {"[fe80::1%eth0]:80", Verdict.ZONE},
        {"192.0.2.1%eth0:80", Verdict.ZONE},
        {"192.0.2.10:0", Verdict.PORT_ZERO},
        {"[2001:db8::1]:0", Verdict.PORT_ZERO},
        {"0.0.0.0:80", Verdict.UNSPECIFIED},
        {"[::]:80", Verdict.UNSPECIFIED},
        {"224.0.0.1:80", Verdict.MULTICAST},
        {"239.255.255.250:1900", Verdict.MULTICAST},
        {"[ff02::1]:80", Verdict.MULTICAST},
        {"255.255.255.255:80", Verdict.BROADCAST},
        {"127.0.0.1:80", Verdict.LOOPBACK},
        {"127.8.9.10:80", Verdict.LOOPBACK},
        {"[::1]:80", Verdict.LOOPBACK},
        {"[fe80::1]:80", Verdict.LINK_LOCAL},
        {"[febf::1]:80", Verdict.LINK_LOCAL},
        {"[2001:db8::1]:" + "1".repeat(60), Verdict.TOO_LONG},
    };

    @Test
    void shouldJudgeEachCandidateAsTheTableSays() {
        for (final Object[] row : TABLE) {
            assertThat(CandidatePolicy.STRICT.check((String)row[0])).as("%s", row[0]).isEqualTo(row[1]);
        }
    }

    @Test
    void shouldAllowLoopbackOnlyWhenThePolicySaysSo() {
        assertThat(CandidatePolicy.ALLOW_LOOPBACK.check("127.0.0.1:80")).isEqualTo(Verdict.OK);
        assertThat(CandidatePolicy.ALLOW_LOOPBACK.check("[::1]:80")).isEqualTo(Verdict.OK);
        assertThat(CandidatePolicy.ALLOW_LOOPBACK.check("0.0.0.0:80")).isEqualTo(Verdict.UNSPECIFIED);
        assertThat(CandidatePolicy.STRICT.allowsLoopback()).isFalse();
    }

    @Test
    void shouldCheckListsForCountAndDuplicates() {
        assertThat(CandidatePolicy.STRICT.checkList(List.of())).isEmpty();
        assertThat(CandidatePolicy.STRICT.checkList(List.of("192.0.2.1:1", "[2001:db8::1]:1"))).isEmpty();
        assertThat(CandidatePolicy.STRICT.checkList(List.of("192.0.2.1:1", "192.0.2.1:1")))
            .contains("candidate 2: duplicate");
        assertThat(CandidatePolicy.STRICT.checkList(List.of("192.0.2.1:1", "127.0.0.1:1")))
            .contains("candidate 2: loopback address");
        final List<String> many = new ArrayList<>();
        for (int i = 1; i <= 33; i++) {
            many.add("192.0.2." + i + ":1000");
        }
        assertThat(CandidatePolicy.STRICT.checkList(many.subList(0, 32))).isEmpty();
        assertThat(CandidatePolicy.STRICT.checkList(many)).contains("too many candidates (33 > 32)");
    }

    @Test
    void shouldRoundTripCanonicalFormWithTheJdk() throws Exception {
        final SplittableRandom random = new SplittableRandom(Fuzz.DEFAULT_SEED);
        for (int i = 0; i < 2000; i++) {
            final byte[] bytes = new byte[random.nextBoolean() ? 4 : 16];
            random.nextBytes(bytes);
            if (bytes.length == 16 && random.nextBoolean()) {
                // Zero runs exercise "::" placement.
                final int from = 2 * random.nextInt(8);
                final int to = Math.min(16, from + 2 * random.nextInt(1, 8));
                java.util.Arrays.fill(bytes, from, to, (byte)0);
            }
            bytes[0] = (byte)(bytes.length == 4 ? 1 + random.nextInt(200) : 0x20 + random.nextInt(0x10));
            final InetAddress address = InetAddress.getByAddress(bytes);
            final int port = 1 + random.nextInt(0xffff);
            final String text = CandidatePolicy.canonical(address, port);
            assertThat(CandidatePolicy.STRICT.check(text)).as(text).isIn(Verdict.OK, Verdict.MULTICAST,
                Verdict.LOOPBACK, Verdict.BROADCAST);
            if (CandidatePolicy.STRICT.check(text) == Verdict.OK) {
                assertThat(CandidatePolicy.STRICT.toSocketAddress(text))
                    .isEqualTo(new InetSocketAddress(address, port));
            }
            assertThat(text).doesNotContain(":::").doesNotContainPattern("[:\\[]0[0-9a-f]");
        }
    }

    @Test
    void shouldWriteMappedAddressesAsIpv4AndRefuseToResolveNames() throws Exception {
        final byte[] mapped = new byte[16];
        mapped[10] = (byte)0xff;
        mapped[11] = (byte)0xff;
        mapped[12] = (byte)192;
        mapped[15] = 1;
        // InetAddress itself turns a mapped address into an Inet4Address; canonical() handles both.
        assertThat(CandidatePolicy.canonical(InetAddress.getByAddress(mapped), 80)).isEqualTo("192.0.0.1:80");
        assertThatThrownBy(() -> CandidatePolicy.STRICT.toSocketAddress("localhost:80"))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not an ip:port");
    }

    @Test
    void shouldNeverThrowOnRandomText() {
        final List<byte[]> inputs = Fuzz.randomBytes(Fuzz.DEFAULT_SEED, 3000, 70);
        final String alphabet = "0123456789abcdefABCDEF:.[]%";
        Fuzz.forAll(inputs, b -> {
            final StringBuilder sb = new StringBuilder();
            for (final byte x : b) {
                sb.append(alphabet.charAt((x & 0xff) % alphabet.length()));
            }
            assertThat(CandidatePolicy.STRICT.check(sb.toString())).isNotNull();
            assertThat(CandidatePolicy.STRICT.check(new String(b, java.nio.charset.StandardCharsets.ISO_8859_1)))
                .isNotNull();
        });
    }
}
