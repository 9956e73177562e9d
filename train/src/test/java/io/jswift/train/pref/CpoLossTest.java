package io.jswift.train.pref;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every CPO / SimPO loss type: analytic gradient against float64 central differences; SimPO's formula; bad settings. */
class CpoLossTest {
    private static final long[] COUNTS = {4, 7, 3, 6, 2, 5};

    private static double[] point(long seed) {
        Random r = new Random(seed);
        double[] x = new double[COUNTS.length];
        for (int i = 0; i < x.length; i++) x[i] = -4 * COUNTS[i] + 3 * r.nextGaussian();
        return x;
    }

    @Test
    void everyTypesGradientMatchesFiniteDifferences() {
        List<CpoLoss> losses = List.of(new CpoLoss(CpoLoss.Type.SIGMOID, 0.1, 0, 0.5, 1), new CpoLoss(CpoLoss.Type.SIGMOID, 0.3, 0.2, 0.5, 0),
                new CpoLoss(CpoLoss.Type.HINGE, 0.05, 0, 0.5, 0.5), new CpoLoss(CpoLoss.Type.IPO, 0.4, 0, 0.5, 1),
                new CpoLoss(CpoLoss.Type.SIMPO, 2.0, 0.1, 1.0, 1));
        for (CpoLoss loss : losses) {
            for (long seed = 1; seed <= 3; seed++) {
                double[] x = point(seed);
                double[] grad = loss.evaluate(x, COUNTS).grad();
                for (int i = 0; i < x.length; i++) {
                    double h = 1e-6, keep = x[i];
                    x[i] = keep + h;
                    double up = loss.evaluate(x, COUNTS).loss();
                    x[i] = keep - h;
                    double down = loss.evaluate(x, COUNTS).loss();
                    x[i] = keep;
                    double numeric = (up - down) / (2 * h);
                    assertEquals(numeric, grad[i], 1e-6 + 1e-5 * Math.abs(numeric), loss + " seed " + seed + " element " + i);
                }
            }
        }
    }

    @Test
    void simpoComparesMeanLogProbsWithAMargin() {
        double[] x = point(7);
        CpoLoss simpo = new CpoLoss(CpoLoss.Type.SIMPO, 2.0, 0, 1.0, 0);
        double expected = 0;
        for (int i = 0; i < 3; i++) {
            double l = x[i] / COUNTS[i] - x[3 + i] / COUNTS[3 + i] - 1.0 / 2.0;
            expected += Math.log1p(Math.exp(-2.0 * l)) / 3;
        }
        assertEquals(expected, simpo.evaluate(x, COUNTS).loss(), 1e-12);
    }

    @Test
    void badSettingsSayWhichFlag() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> CpoLoss.Type.parse("robust")).getMessage().contains("--loss_type"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new CpoLoss(CpoLoss.Type.SIMPO, 2, 0, 1, -1)).getMessage().contains("--cpo_alpha"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new CpoLoss(CpoLoss.Type.SIMPO, 0, 0, 1, 1)).getMessage().contains("--beta"));
    }
}
