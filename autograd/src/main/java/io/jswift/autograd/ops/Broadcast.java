package io.jswift.autograd.ops;

import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.Backend;
import io.jswift.tensor.spi.ReduceOp;

import java.util.Arrays;

/** Gradient of broadcasting: sums a gradient back down to the shape of the input that was broadcast. */
final class Broadcast {
    private Broadcast() {}

    static Tensor sumToShape(Backend b, Tensor grad, int[] shape) {
        int[] g = grad.shape();
        if (Arrays.equals(g, shape)) return grad;
        int lead = g.length - shape.length;
        int[] dims = new int[g.length];
        int n = 0;
        for (int i = 0; i < g.length; i++) {
            if (i < lead || (shape[i - lead] == 1 && g[i] != 1)) dims[n++] = i;
        }
        Tensor summed = n == 0 ? grad : b.reduce(ReduceOp.SUM, grad, Arrays.copyOf(dims, n), true);
        return summed.reshape(shape);
    }
}
