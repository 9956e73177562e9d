package io.jswift.autograd;

import io.jswift.autograd.ops.LinearAlgebra;
import io.jswift.autograd.ops.Losses;
import io.jswift.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The chunked linear cross-entropy against linear + crossEntropy, in f32 (the training dtype). */
class LinearCrossEntropyTest {
    private static Tensor randF32(long seed, int... shape) {
        Random r = new Random(seed);
        int n = 1;
        for (int d : shape) n *= d;
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) r.nextGaussian();
        return Tensor.of(v, shape);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 3, 7, 256})
    void equalsTheMaterializedLogits(int chunkRows) {
        int n = 7, h = 16, v = 50;
        Tensor x = randF32(1, n, h), w = randF32(2, v, h);
        Tensor targets = Tensor.ofLongs(new long[]{3, -100, 49, 0, 17, -100, 8}, n);
        Variable a = Variable.leaf(x, true), b = Variable.leaf(x.copy(), true);
        Variable fused = Losses.linearCrossEntropy(a, Variable.constant(w), targets, Losses.IGNORE_INDEX, 5.0, chunkRows);
        Variable plain = Losses.crossEntropy(LinearAlgebra.linear(b, Variable.constant(w), null), targets, Losses.IGNORE_INDEX, 5.0);
        assertEquals(plain.value().item(), fused.value().item(), 1e-5 * Math.abs(plain.value().item()));
        fused.backward();
        plain.backward();
        float[] ga = a.grad().toFloatArray(), gb = b.grad().toFloatArray();
        for (int i = 0; i < ga.length; i++) assertEquals(gb[i], ga[i], 1e-6 + 1e-5 * Math.abs(gb[i]), "grad element " + i);
    }

    @Test
    void aTrainableWeightTakesThePlainPathAndGetsItsGradient() {
        Tensor x = randF32(3, 4, 8), w = randF32(4, 10, 8);
        Variable weight = Variable.leaf(w, true);
        Variable loss = Losses.linearCrossEntropy(Variable.leaf(x, true), weight, Tensor.ofLongs(new long[]{1, 2, 3, 4}, 4),
                Losses.IGNORE_INDEX, 4.0, 2);
        loss.backward();
        assertNotNull(weight.grad());
        assertTrue(Double.isFinite(loss.value().item()));
    }

    @Test
    void noGradientIsKeptWithoutGradMode() {
        Tensor x = randF32(5, 4, 8), w = randF32(6, 10, 8);
        Variable loss = Losses.linearCrossEntropy(Variable.leaf(x, false), Variable.constant(w), Tensor.ofLongs(new long[]{1, 2, 3, 4}, 4),
                Losses.IGNORE_INDEX, 4.0, 3);
        assertFalse(loss.requiresGrad());
    }

    @Test
    void mismatchedShapesSayWhich() {
        Tensor x = randF32(5, 4, 8), w = randF32(6, 10, 9);
        var e = assertThrows(IllegalArgumentException.class, () -> Losses.linearCrossEntropy(Variable.leaf(x, true),
                Variable.constant(w), Tensor.ofLongs(new long[]{1, 2, 3, 4}, 4), Losses.IGNORE_INDEX, 4.0));
        assertTrue(e.getMessage().contains("[4, 8]") && e.getMessage().contains("[10, 9]"), e.getMessage());
    }
}
