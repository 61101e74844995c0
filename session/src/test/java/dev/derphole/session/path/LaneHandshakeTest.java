package dev.derphole.session.path;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.derphole.derp.proto.NodeKey;
import dev.derphole.session.rendezvous.CandidatePolicy;
import dev.derphole.testing.Fuzz;

/** Lane packets (LANE_OFFER, LANE_PROBE, LANE_ACK) and the lane handshake between two sockets on loopback. */
@Timeout(60)
class LaneHandshakeTest {
    private static final SplittableRandom RANDOM = new SplittableRandom(0x1A9E5L);
    private static final byte[] KEY = bytes(32);
    private static final byte[] SESSION = bytes(16);
    private static final NodeKey LISTENER = NodeKey.of(bytes(32));
    private static final NodeKey CLAIMER = NodeKey.of(bytes(32));
    private static final InetSocketAddress CANDIDATE = new InetSocketAddress(loopback(), 40_001);

    private static byte[] bytes(final int n) {
        final byte[] b = new byte[n];
        RANDOM.nextBytes(b);
        return b;
    }

    private static InetAddress loopback() {
        return InetAddress.getLoopbackAddress();
    }

    private static ProbeCodec listener() {
        return new ProbeCodec(KEY, SESSION, LISTENER, CLAIMER);
    }

    private static ProbeCodec claimer() {
        return new ProbeCodec(KEY, SESSION, CLAIMER, LISTENER);
    }

    private static ProbeCodec.LaneRefusal refusal(final ProbeCodec codec, final byte[] packet) {
        final ProbeCodec.LaneRefusal[] why = new ProbeCodec.LaneRefusal[1];
        assertThat(codec.verifyLane(packet, 0, packet.length, why)).isNull();
        return why[0];
    }

    @Test
    void shouldVerifyOffersProbesAndAcksInTheOtherDirection() {
        final ProbeCodec listener = listener();
        final ProbeCodec claimer = claimer();
        final byte[] offer = claimer.laneOffer(3, List.of(CANDIDATE));
        assertThat(offer).hasSize(ProbeCodec.LANE_LENGTH + ProbeCodec.LANE_CANDIDATE_BYTES);
        assertThat(listener.verifyLane(offer, 0, offer.length, null)).isEqualTo(
            new ProbeCodec.LaneVerified(ProbeCodec.LANE_OFFER, 1, 0, 3, List.of(CANDIDATE)));
        final byte[] probe = claimer.laneProbe(3);
        final ProbeCodec.LaneVerified p = listener.verifyLane(probe, 0, probe.length, null);
        assertThat(p).isEqualTo(new ProbeCodec.LaneVerified(ProbeCodec.LANE_PROBE, 2, 0, 3, List.of()));
        final byte[] ack = listener.laneAck(3, p.sequence());
        assertThat(claimer.verifyLane(ack, 0, ack.length, null))
            .isEqualTo(new ProbeCodec.LaneVerified(ProbeCodec.LANE_ACK, 1, 2, 3, List.of()));
    }

    @Test
    void shouldRefuseWrongKeysSessionsDirectionsLanesAndReplays() {
        final ProbeCodec claimer = claimer();
        final byte[] probe = claimer.laneProbe(1);
        assertThat(refusal(new ProbeCodec(bytes(32), SESSION, LISTENER, CLAIMER), probe))
            .as("wrong key").isEqualTo(ProbeCodec.LaneRefusal.AUTH);
        assertThat(refusal(new ProbeCodec(KEY, bytes(16), LISTENER, CLAIMER), probe))
            .as("wrong session").isEqualTo(ProbeCodec.LaneRefusal.AUTH);
        assertThat(refusal(claimer(), claimer.laneProbe(1))).as("reflected").isEqualTo(ProbeCodec.LaneRefusal.AUTH);
        for (final int lane : new int[] {0, 16, 255}) {
            final byte[] bad = claimer.laneProbe(1);
            bad[18] = (byte)lane;
            assertThat(refusal(listener(), bad)).as("lane %d", lane).isEqualTo(ProbeCodec.LaneRefusal.BAD_LANE);
        }
        final byte[] relabelled = claimer.laneProbe(1);
        relabelled[18] = 2; // a valid index, but not the one the tag covers
        assertThat(refusal(listener(), relabelled)).isEqualTo(ProbeCodec.LaneRefusal.AUTH);
        final ProbeCodec listener = listener();
        final byte[] once = claimer.laneProbe(4);
        assertThat(listener.verifyLane(once, 0, once.length, null)).isNotNull();
        assertThat(refusal(listener, once)).as("replay").isEqualTo(ProbeCodec.LaneRefusal.REPLAY);
        final byte[] kind = claimer.laneProbe(1);
        kind[0] = (byte)ProbeCodec.LANE_OFFER; // an offer without candidates
        assertThat(refusal(listener(), kind)).isEqualTo(ProbeCodec.LaneRefusal.MALFORMED);
    }

    @Test
    void shouldNeverThrowOnFuzzedLanePackets() {
        final ProbeCodec claimer = claimer();
        final List<byte[]> valid = List.of(claimer.laneOffer(2, List.of(CANDIDATE, new InetSocketAddress(loopback(),
            9))), claimer.laneProbe(15), listener().laneAck(7, 99));
        final List<byte[]> inputs = new ArrayList<>(Fuzz.randomBytes(Fuzz.DEFAULT_SEED, 2_000, 120));
        for (final byte[] packet : valid) {
            inputs.addAll(Fuzz.truncations(packet));
            inputs.addAll(Fuzz.mutations(Fuzz.DEFAULT_SEED, packet, 2_000));
        }
        final ProbeCodec listener = listener();
        final ProbeCodec.LaneRefusal[] why = new ProbeCodec.LaneRefusal[1];
        final int[] accepted = new int[1];
        Fuzz.forAll(inputs, input -> {
            why[0] = null;
            final ProbeCodec.LaneVerified v = listener.verifyLane(input, 0, input.length, why);
            if (v == null) {
                assertThat(why[0]).isNotNull();
            } else {
                accepted[0]++;
                assertThat(v.lane()).isBetween(ProbeCodec.MIN_LANE, ProbeCodec.MAX_LANE);
            }
        });
        // Only an unchanged copy of the claimer's offer or probe verifies, once each (then it is a replay).
        assertThat(accepted[0]).isLessThanOrEqualTo(2);
    }

    @Test
    void shouldValidateThreeLanesOnLoopbackAndAcceptTheirStreamPackets() throws Exception {
        try (UdpEndpoint main = UdpEndpoint.open(); UdpEndpoint peer = UdpEndpoint.open()) {
            final LaneResponder responder = new LaneResponder(peer, listener(), CandidatePolicy.ALLOW_LOOPBACK).start();
            peer.probes(responder::onLanePacket);
            final InetSocketAddress peerAddress = new InetSocketAddress(loopback(), peer.port());
            final List<byte[]> delivered = new CopyOnWriteArrayList<>();
            final DirectPath receiving = peer.promote(new InetSocketAddress(loopback(), main.port()), 1232);
            receiving.receiver((path, buffer, offset, length) -> delivered.add(new byte[length]));
            try (LaneOpener opener = new LaneOpener(main, claimer(), peerAddress, CandidatePolicy.ALLOW_LOOPBACK,
                null)) {
                final List<DirectPath> lanes = opener.open(3, () -> 1232, alive -> { });
                assertThat(lanes).hasSize(3);
                assertThat(opener.live()).isEqualTo(3);
                assertThat(peer.acceptedLanes()).isEqualTo(3);
                assertThat(responder.refusedPackets()).isZero();
                final byte[] stream = new byte[100];
                stream[0] = 0x10; // a stream packet's first byte
                for (final DirectPath lane : lanes) {
                    assertThat(lane.send(stream, 0, stream.length)).isTrue();
                }
                final long deadline = System.nanoTime() + 5_000_000_000L;
                while (delivered.size() < 3 && System.nanoTime() < deadline) {
                    Thread.sleep(5);
                }
                assertThat(delivered).as("stream packets from every lane reach the direct path").hasSize(3);
            } finally {
                responder.close();
            }
        }
    }

    @Test
    void shouldValidateNoLaneWhenThePeerHasAnotherKeyAndCountItsRefusals() throws Exception {
        try (UdpEndpoint main = UdpEndpoint.open(); UdpEndpoint peer = UdpEndpoint.open()) {
            final LaneResponder responder = new LaneResponder(peer,
                new ProbeCodec(bytes(32), SESSION, LISTENER, CLAIMER), CandidatePolicy.ALLOW_LOOPBACK).start();
            peer.probes(responder::onLanePacket);
            try (LaneOpener opener = new LaneOpener(main, claimer(), new InetSocketAddress(loopback(), peer.port()),
                CandidatePolicy.ALLOW_LOOPBACK, null)) {
                assertThat(opener.open(2, () -> 1232, alive -> { })).isEmpty();
                assertThat(opener.live()).isZero();
                assertThat(peer.acceptedLanes()).isZero();
                assertThat(responder.refused(ProbeCodec.LaneRefusal.AUTH)).isPositive();
                assertThat(responder.validPackets()).isZero();
            } finally {
                responder.close();
            }
        }
    }
}
