package dev.derphole.lanes.rate;

import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Prints what {@link WanSimulation} measures for a controller on the lab's link: goodput over the first 2 s and the
 * next 8 s at 0/1/3 % loss, with several patterns of sender and receiver stalls. Not part of the suite (the name
 * does not end in Test); run with {@code bin/mvn -q -B -pl lanes -am test -Dtest=WanSimulationCheck
 * -Dsurefire.failIfNoSpecifiedTests=false}; {@code -Dwan.controller=CLASS} (a {@link CongestionControl} with a
 * {@code (long maxWindowBytes, long ackAggregationNs)} constructor) compares another controller, and
 * {@code -Dwan.trace="stall 0/0+0/0 ms loss 1%"} prints that run's first 2 s every 50 ms.
 */
@Timeout(value = 900, unit = TimeUnit.SECONDS)
class WanSimulationCheck {
    /** Sender stall every ~ms, up to ms; receiver stall every ~ms, up to ms (0 = none). */
    private static final long[][] STALLS = {
        {0, 0, 0, 0}, {20, 3, 0, 0}, {20, 3, 20, 3}, {5, 1, 5, 1}, {300, 10, 300, 10}, {30, 8, 0, 0}, {50, 15, 20, 3},
    };

    @Test
    void print() throws ReflectiveOperationException {
        final String trace = System.getProperty("wan.trace");
        final Class<?> type = Class.forName(System.getProperty("wan.controller", BbrController.class.getName()));
        for (final long[] stall : STALLS) {
            for (final double loss : new double[] {0, 0.01, 0.03}) {
                final WanSimulation.Config c = new WanSimulation.Config().loss(loss);
                c.stallEveryNs = stall[0] * 1_000_000L;
                c.maxStallNs = stall[1] * 1_000_000L;
                c.receiverStallEveryNs = stall[2] * 1_000_000L;
                c.receiverMaxStallNs = stall[3] * 1_000_000L;
                final CongestionControl cc = (CongestionControl)type.getConstructor(long.class, long.class)
                    .newInstance(32L << 20, 2_000_000L);
                final WanSimulation sim = new WanSimulation(c, cc);
                final String name = "stall " + stall[1] + "/" + stall[0] + "+" + stall[3] + "/" + stall[2] + " ms loss "
                    + Math.round(loss * 100) + "%";
                final WanSimulation.Result start;
                if (name.equals(trace)) {
                    start = new WanSimulation.Result();
                    start.seconds = 2;
                    for (int i = 0; i < 40; i++) {
                        final WanSimulation.Result r = sim.run(50_000_000L);
                        start.deliveredBytes += r.deliveredBytes;
                        System.out.printf("  t=%4d ms %s window=%d pacing=%d | %s%n", (i + 1) * 50, cc,
                            sim.decision().windowBytes, sim.decision().pacingBytesPerSecond, r);
                    }
                } else {
                    start = sim.run(2_000_000_000L);
                }
                final WanSimulation.Result steady = sim.run(8_000_000_000L);
                System.out.printf("%-30s start %5.1f%% steady %5.1f%% of the link (%s)%n", name,
                    100 * start.linkFraction(c.linkBytesPerSecond), 100 * steady.linkFraction(c.linkBytesPerSecond),
                    steady);
            }
        }
    }
}
