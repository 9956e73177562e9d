package io.jswift.train.pref;

import io.jswift.autograd.Variable;
import io.jswift.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every DPO loss term: analytic gradient against float64 central differences; the autograd wrapper; bad settings. */
class DpoLossTest {
    private static final double[] REF = {-20.5, -31.0, -18.25, -22.0, -35.5, -17.0};
    private static final long[] COUNTS = {4, 7, 3, 6, 2, 5};

    private static double[] point(long seed) {
        Random r = new Random(seed);
        double[] x = new double[REF.length];
        for (int i = 0; i < x.length; i++) x[i] = REF[i] + 3 * r.nextGaussian();
        return x;
    }

    @Test
    void everyTermsGradientMatchesFiniteDifferences() {
        List<DpoLoss> losses = List.of(DpoLoss.of("sigmoid", 0.1, 0, null), DpoLoss.of("hinge", 0.3, 0, null), DpoLoss.of("ipo", 0.5, 0, null),
                DpoLoss.of("robust", 0.4, 0.2, null), DpoLoss.of("sigmoid", 0.1, 0, 0.7), DpoLoss.of("ipo", 0.2, 0, 1.5));
        for (DpoLoss loss : losses) {
            for (long seed = 1; seed <= 3; seed++) {
                double[] x = point(seed);
                double[] grad = loss.evaluate(x, REF, COUNTS).grad();
                for (int i = 0; i < x.length; i++) {
                    double h = 1e-6, keep = x[i];
                    x[i] = keep + h;
                    double up = loss.evaluate(x, REF, COUNTS).loss();
                    x[i] = keep - h;
                    double down = loss.evaluate(x, REF, COUNTS).loss();
                    x[i] = keep;
                    double numeric = (up - down) / (2 * h);
                    assertEquals(numeric, grad[i], 1e-6 + 1e-5 * Math.abs(numeric), loss + " seed " + seed + " element " + i);
                }
            }
        }
    }

    @Test
    void sigmoidIsMinusLogSigmoidOfBetaTimesTheMarginAndSftIsTheChosenNll() {
        double[] x = point(9);
        DpoLoss sigmoid = DpoLoss.of("sigmoid", 0.1, 0, null), rpo = DpoLoss.of("sigmoid", 0.1, 0, 2.0);
        double expected = 0, nll = 0;
        for (int i = 0; i < 3; i++) {
            double z = 0.1 * ((x[i] - REF[i]) - (x[3 + i] - REF[3 + i]));
            expected += Math.log1p(Math.exp(-z)) / 3;
            nll -= x[i];
        }
        nll /= COUNTS[0] + COUNTS[1] + COUNTS[2];
        assertEquals(expected, sigmoid.evaluate(x, REF, COUNTS).loss(), 1e-12);
        assertEquals(expected + 2.0 * nll, rpo.evaluate(x, REF, COUNTS).loss(), 1e-12);
    }

    @Test
    void theAutogradWrapperScalesTheGradientByTheIncomingOne() {
        DpoLoss loss = DpoLoss.of("robust", 0.3, 0.1, null);
        double[] x = point(4);
        Variable v = Variable.leaf(Tensor.of(x, x.length), true);
        Variable l = VectorLoss.apply(y -> loss.evaluate(y, REF, COUNTS), v);
        assertEquals(loss.evaluate(x, REF, COUNTS).loss(), l.value().item(), 1e-12);
        l.backward(Tensor.scalar(io.jswift.tensor.DType.F64, 0.5), false);
        double[] want = loss.evaluate(x, REF, COUNTS).grad();
        for (int i = 0; i < want.length; i++) want[i] *= 0.5;
        assertArrayEquals(want, v.grad().toDoubleArray(), 1e-12);
    }

    @Test
    void badSettingsSayWhichFlag() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> DpoLoss.of("kto_pair", 0.1, 0, null)).getMessage().contains("--loss_type"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> DpoLoss.of("sigmoid", 0, 0, null)).getMessage().contains("--beta"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> DpoLoss.of("robust", 0.1, 0.5, null)).getMessage().contains("--label_smoothing"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> DpoLoss.of("sft", 0.1, 0, null)).getMessage().contains("--rpo_alpha"));
    }
}
