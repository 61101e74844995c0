package dev.derphole.session.transfer;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.derphole.derp.map.DerpMap;
import dev.derphole.derp.map.DerpNode;
import dev.derphole.derp.map.DerpRegion;
import dev.derphole.session.rendezvous.CandidatePolicy;

/** The candidate list a side offers as it learns addresses, and the STUN servers it asks. */
@Timeout(10)
class OwnCandidatesTest {
    @Test
    void shouldOrderMappingThenReflexiveThenLocalAndReportEveryChange() {
        final OwnCandidates own = new OwnCandidates(CandidatePolicy.STRICT);
        assertThat(own.local(List.of("192.168.1.2:5000", "10.1.2.3:5000"))).isTrue();
        assertThat(own.local(List.of("192.168.1.2:5000", "10.1.2.3:5000"))).as("same list").isFalse();
        assertThat(own.reflexive("203.0.113.1:5000")).isTrue();
        assertThat(own.mapped("203.0.113.1:6000")).isTrue();
        assertThat(own.list()).containsExactly("203.0.113.1:6000", "203.0.113.1:5000", "192.168.1.2:5000",
            "10.1.2.3:5000");
        assertThat(own.mapped(null)).as("the mapping went away").isTrue();
        assertThat(own.list()).containsExactly("203.0.113.1:5000", "192.168.1.2:5000", "10.1.2.3:5000");
    }

    @Test
    void shouldWithdrawTheReflexiveAddressWhenTheMappingVariesByDestination() {
        final OwnCandidates own = new OwnCandidates(CandidatePolicy.STRICT);
        own.local(List.of("192.168.1.2:5000"));
        own.reflexive("203.0.113.1:31337");
        assertThat(own.mapping(OwnCandidates.Mapping.INDEPENDENT)).as("nothing to withdraw").isFalse();
        assertThat(own.mapping(OwnCandidates.Mapping.VARIES)).isTrue();
        assertThat(own.mapping()).isEqualTo(OwnCandidates.Mapping.VARIES);
        assertThat(own.list()).containsExactly("192.168.1.2:5000");
        // A port mapping is worth offering even then: it is the same address for every peer.
        own.mapped("203.0.113.1:6000");
        assertThat(own.list()).containsExactly("203.0.113.1:6000", "192.168.1.2:5000");
    }

    @Test
    void shouldDropInvalidDuplicateAndExcessCandidates() {
        final OwnCandidates own = new OwnCandidates(CandidatePolicy.STRICT);
        final List<String> many = new java.util.ArrayList<>();
        for (int i = 0; i < 40; i++) {
            many.add("10.0.0." + (i + 1) + ":5000");
        }
        own.local(many);
        own.reflexive("127.0.0.1:5000"); // loopback: never offered outside tests
        assertThat(own.list()).hasSize(CandidatePolicy.MAX_CANDIDATES).doesNotContain("127.0.0.1:5000");
        own.mapped("10.0.0.1:5000");
        assertThat(own.list()).hasSize(CandidatePolicy.MAX_CANDIDATES).startsWith("10.0.0.1:5000")
            .doesNotHaveDuplicates();
    }

    private static DerpNode node(final String name, final int region, final String ip, final int stunPort,
        final boolean stunOnly) {
        return new DerpNode(name, region, ip, "", ip, "", stunPort, stunOnly, 443, false, "", false, false);
    }

    @Test
    void shouldAskTheHomeNodeThenAnotherStunAddressPreferringTheSameRegion() {
        final DerpNode home = node("1a", 1, "198.51.100.1", 3478, false);
        final DerpNode sameHost = node("1b", 1, "198.51.100.1", 3478, false);
        final DerpNode otherRegion = node("2a", 2, "198.51.100.20", 3478, false);
        final DerpNode secondPort = node("1c", 1, "198.51.100.1", 3479, true);
        final DerpNode noStun = node("1d", 1, "198.51.100.4", DerpNode.STUN_DISABLED, false);
        final DerpMap map = DerpMap.of(List.of(
            new DerpRegion(1, "one", "One", 0, 0, false, false, List.of(home, sameHost, noStun, secondPort)),
            new DerpRegion(2, "two", "Two", 0, 0, false, false, List.of(otherRegion))));
        assertThat(DirectAttempt.stunNodes(home, map)).containsExactly(home, secondPort);
        final DerpMap oneNode = DerpMap.of(List.of(
            new DerpRegion(1, "one", "One", 0, 0, false, false, List.of(home))));
        assertThat(DirectAttempt.stunNodes(home, oneNode)).containsExactly(home);
        final DerpMap twoRegions = DerpMap.of(List.of(
            new DerpRegion(1, "one", "One", 0, 0, false, false, List.of(home)),
            new DerpRegion(2, "two", "Two", 0, 0, false, false, List.of(otherRegion))));
        assertThat(DirectAttempt.stunNodes(home, twoRegions)).containsExactly(home, otherRegion);
        final DerpMap withNoStunHome = DerpMap.of(List.of(
            new DerpRegion(1, "one", "One", 0, 0, false, false, List.of(noStun, home)),
            new DerpRegion(2, "two", "Two", 0, 0, false, false, List.of(otherRegion))));
        assertThat(DirectAttempt.stunNodes(noStun, withNoStunHome)).as("a home without STUN: two others")
            .containsExactly(home, otherRegion);
        // A private relay (the token's node, not in the public map): never another map's servers.
        final DerpNode privateRelay = node("p", 900, "192.0.2.7", 3478, false);
        assertThat(DirectAttempt.stunNodes(privateRelay, twoRegions)).containsExactly(privateRelay);
    }
}
