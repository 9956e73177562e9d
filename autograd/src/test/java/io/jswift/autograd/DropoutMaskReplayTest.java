package io.jswift.autograd;

import io.jswift.autograd.ops.Dropout;
import io.jswift.autograd.ops.Elementwise;
import io.jswift.autograd.ops.Reductions;
import io.jswift.tensor.Generator;
import io.jswift.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Dropout's backward redraws the forward's mask from the generator's seed and offset instead of keeping it. */
class DropoutMaskReplayTest {
    @Test
    void backwardUsesTheForwardMaskEvenAfterTheGeneratorMovedOn() {
        int n = 4099; // not a multiple of any vector or Philox block width
        float[] ones = new float[n];
        java.util.Arrays.fill(ones, 1f);
        Generator gen = new Generator(1234, 77);
        Variable x = Variable.leaf(Tensor.of(ones, n), true);
        Variable y = Dropout.apply(x, 0.3, gen);
        long after = gen.offset();
        Dropout.apply(Variable.constant(Tensor.of(ones, n)), 0.3, gen); // moves the generator on
        assertTrue(gen.offset() > after);
        Reductions.sum(Elementwise.scale(y, 1.0)).backward();
        float[] out = y.value().toFloatArray(), grad = x.grad().toFloatArray();
        int dropped = 0;
        for (int i = 0; i < n; i++) {
            assertEquals(out[i], grad[i], 0f, "element " + i); // d(sum(x*m))/dx = m = y for x = 1
            if (out[i] == 0f) dropped++;
        }
        assertTrue(dropped > n * 0.2 && dropped < n * 0.4, dropped + " of " + n + " dropped");
    }

    @Test
    void theGeneratorAdvancesAsOneDrawOfTheMask() {
        Generator a = new Generator(9), b = new Generator(9);
        Dropout.apply(Variable.constant(Tensor.of(new float[1000], 1000)), 0.5, a);
        b.fill(new float[1000], new io.jswift.tensor.spi.RandomSpec.Bernoulli(0.5));
        assertEquals(b.offset(), a.offset());
    }
}
