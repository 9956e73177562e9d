package io.jswift.autograd;

import io.jswift.autograd.ops.Elementwise;
import io.jswift.autograd.ops.Views;
import io.jswift.tensor.DType;
import io.jswift.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Recycling backward's temporaries must not touch what survives: leaf gradients that are the very tensor a
 * backward returned (add passes its gradient through to both inputs), views of pending gradients, the caller's
 * seed gradient, and gradients reached through several paths.
 */
class GradientRecyclerTest {
    @Test
    void sharedAndAliasedGradientsSurvive() {
        Variable a = Variable.leaf(Tensor.of(new double[] {1, 2, 3, 4, 5, 6}, 2, 3), true);
        Variable b = Variable.leaf(Tensor.of(new double[] {0.5, -1, 2, 3, -2, 1}, 2, 3), true);
        // a + b feeds a reshape (backward returns a view), a product with b (b reached twice) and a plain sum
        Variable s = Elementwise.add(a, b);
        Variable r = Views.reshape(s, 3, 2);
        Variable p = Elementwise.mul(Views.reshape(r, 2, 3), b);
        Variable loss = Elementwise.add(p, s);
        Tensor seed = Tensor.of(new double[] {1, 1, 1, 1, 1, 1}, 2, 3);
        loss.backward(seed, false);
        // d/da = b + 1, d/db = (a + b) + b + 1
        double[] av = a.value().toDoubleArray(), bv = b.value().toDoubleArray();
        double[] ga = new double[6], gb = new double[6];
        for (int i = 0; i < 6; i++) {
            ga[i] = bv[i] + 1;
            gb[i] = av[i] + 2 * bv[i] + 1;
        }
        assertArrayEquals(ga, a.grad().toDoubleArray(), 1e-12);
        assertArrayEquals(gb, b.grad().toDoubleArray(), 1e-12);
        assertArrayEquals(new double[] {1, 1, 1, 1, 1, 1}, seed.toDoubleArray(), 0, "the caller's seed gradient is untouched");
        assertTrue(a.grad().storage() != null);
        // a second backward accumulates into the surviving leaf gradients
        Elementwise.add(Elementwise.add(a, b), b).backward(seed, false);
        for (int i = 0; i < 6; i++) {
            ga[i] += 1;
            gb[i] += 2;
        }
        assertArrayEquals(ga, a.grad().toDoubleArray(), 1e-12);
        assertArrayEquals(gb, b.grad().toDoubleArray(), 1e-12);
        assertTrue(a.value().dtype() == DType.F64);
    }
}
