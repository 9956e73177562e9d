package io.jswift.train.plot;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class SmoothingTest {
    @Test
    void debiasedMovingAverageAsTensorBoardAndMsSwift() {
        // by hand: s1 = 1; s2 = (0.9·1 + 2) / 1.9; s3 = (0.81·1 + 0.9·2 + 3) / 2.71; s4 = (0.729 + 1.62 + 2.7 + 0.5) / 3.439
        double[] expected = {1, 2.9 / 1.9, 5.61 / 2.71, 5.549 / 3.439};
        assertArrayEquals(expected, Smoothing.tensorboard(new double[] {1, 2, 3, 0.5}, 0.9), 1e-12);
    }

    @Test
    void weightZeroIsTheRawCurveAndAConstantStaysConstant() {
        double[] v = {3, -1, 7.5};
        assertArrayEquals(v, Smoothing.tensorboard(v, 0), 0);
        assertArrayEquals(new double[] {2, 2, 2, 2}, Smoothing.tensorboard(new double[] {2, 2, 2, 2}, 0.9), 1e-15);
        assertArrayEquals(new double[0], Smoothing.tensorboard(new double[0], 0.9), 0);
    }

    @Test
    void refusesAWeightOutsideTheUnitInterval() {
        assertThrows(IllegalArgumentException.class, () -> Smoothing.tensorboard(new double[] {1}, 1));
        assertThrows(IllegalArgumentException.class, () -> Smoothing.tensorboard(new double[] {1}, Double.NaN));
    }
}
