package io.jswift.autograd;

import io.jswift.autograd.ops.Elementwise;
import io.jswift.autograd.ops.Reductions;
import io.jswift.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/**
 * Leaf gradients are added in place only into a gradient the leaf owns alone: a gradient the engine handed to
 * two leaves (the same tensor, from an addition's backward) must never change under the other one.
 */
class GradAccumulationTest {
    private static Variable leaf(float... v) { return Variable.leaf(Tensor.of(v, v.length), true); }

    @Test
    void aGradientSharedByTwoLeavesIsNotChangedInPlace() {
        Variable a = leaf(1, 2, 3), b = leaf(4, 5, 6);
        // d/da = 1 + 3, d/db = 1; the addition's backward may hand the same tensor to a and b
        Variable loss = Elementwise.add(Reductions.sum(Elementwise.add(a, b)), Reductions.sum(Elementwise.scale(a, 3)));
        loss.backward();
        assertArrayEquals(new float[]{4, 4, 4}, a.grad().toFloatArray());
        assertArrayEquals(new float[]{1, 1, 1}, b.grad().toFloatArray());
    }

    @Test
    void scalingSharedGradientsScalesEachOnce() {
        Variable a = leaf(1, 2), b = leaf(3, 4);
        Reductions.sum(Elementwise.add(a, b)).backward();
        a.scaleGrad(0.5);
        b.scaleGrad(0.5);
        assertArrayEquals(new float[]{0.5f, 0.5f}, a.grad().toFloatArray());
        assertArrayEquals(new float[]{0.5f, 0.5f}, b.grad().toFloatArray());
        a.scaleGrad(2); // now a's own copy: scaled in place
        assertArrayEquals(new float[]{1, 1}, a.grad().toFloatArray());
        assertArrayEquals(new float[]{0.5f, 0.5f}, b.grad().toFloatArray());
    }

    @Test
    void gradientsOfSeveralBackwardsAccumulate() {
        Variable a = leaf(1, 2), b = leaf(3, 4);
        Reductions.sum(Elementwise.mul(a, b)).backward();           // a.grad = b (a fresh product: owned)
        Reductions.sum(Elementwise.add(a, b)).backward();           // + 1 (shared with b): added in place into a's own
        Reductions.sum(Elementwise.scale(a, 2)).backward();         // + 2
        assertArrayEquals(new float[]{6, 7}, a.grad().toFloatArray());
        assertArrayEquals(new float[]{2, 3}, b.grad().toFloatArray()); // a (1, 2) + 1
    }

    @Test
    void aGradientSetByTheUserIsNeverWrittenInPlace() {
        Variable a = leaf(1, 2);
        Tensor mine = Tensor.of(new float[]{10, 20}, 2);
        a.setGrad(mine);
        Reductions.sum(Elementwise.scale(a, 2)).backward();
        assertArrayEquals(new float[]{12, 22}, a.grad().toFloatArray());
        assertArrayEquals(new float[]{10, 20}, mine.toFloatArray());
        a.setGrad(mine);
        a.scaleGrad(0.5);
        assertArrayEquals(new float[]{5, 10}, a.grad().toFloatArray());
        assertArrayEquals(new float[]{10, 20}, mine.toFloatArray());
    }
}
