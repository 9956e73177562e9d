package io.jswift.autograd;

import io.jswift.tensor.DType;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.Backend;
import io.jswift.tensor.spi.BinaryOp;
import io.jswift.tensor.spi.ReduceOp;

import java.util.Arrays;
import java.util.Random;

/**
 * Finite-difference gradient check in float64 (torch.autograd.gradcheck's idea): the analytic gradient of
 * L = sum(f(x) * R), for a fixed random projection R, is compared with central differences
 * (L(x + eps) - L(x - eps)) / 2eps for every element of every floating input.
 */
public final class GradCheck {
    private GradCheck() {}

    /** The function under test: F64 input variables → output variable (any shape). */
    @FunctionalInterface
    public interface Fn {
        Variable apply(Variable[] inputs);
    }

    /** The worst disagreement found: which input and element, analytic vs numeric. */
    public record Report(boolean passed, int input, int element, double analytic, double numeric, String detail) {}

    /**
     * Checks {@code fn} at {@code inputs} (contiguous host F64 tensors for differentiable inputs; integer
     * tensors pass through as constants). Passes when |analytic - numeric| <= atol + rtol * |numeric|.
     */
    public static Report check(Fn fn, Tensor[] inputs, double eps, double atol, double rtol, long seed) {
        Variable[] vars = new Variable[inputs.length];
        for (int i = 0; i < inputs.length; i++) {
            Tensor t = inputs[i];
            boolean differentiable = t.dtype() == DType.F64;
            if (differentiable && !t.isContiguous()) {
                throw new IllegalArgumentException("gradcheck input " + i + " must be contiguous");
            }
            vars[i] = differentiable ? Variable.leaf(t, true) : Variable.constant(t);
        }
        Variable out = fn.apply(vars);
        if (out.dtype() != DType.F64) {
            throw new IllegalArgumentException("gradcheck needs a float64 output, got " + out.dtype());
        }
        Tensor projection = randomLike(out.value(), seed);
        Backend b = out.value().backend();
        out.backward(projection, false);

        Report worst = new Report(true, -1, -1, 0, 0, "no differentiable elements");
        double worstExcess = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < inputs.length; i++) {
            if (inputs[i].dtype() != DType.F64) continue;
            Tensor x = inputs[i];
            Tensor grad = vars[i].grad();
            double[] analytic = grad == null ? new double[(int) x.numel()] : grad.toDoubleArray();
            int[] shape = x.shape();
            for (int e = 0; e < x.numel(); e++) {
                int[] idx = unravel(e, shape);
                double orig = x.getDouble(idx);
                x.setDouble(orig + eps, idx);
                double plus = projected(fn, vars, projection, b);
                x.setDouble(orig - eps, idx);
                double minus = projected(fn, vars, projection, b);
                x.setDouble(orig, idx);
                double numeric = (plus - minus) / (2 * eps);
                double excess = Math.abs(analytic[e] - numeric) - (atol + rtol * Math.abs(numeric));
                if (excess > worstExcess || Double.isNaN(excess)) {
                    worstExcess = Double.isNaN(excess) ? Double.POSITIVE_INFINITY : excess;
                    worst = new Report(!(excess > 0) && !Double.isNaN(excess), i, e, analytic[e], numeric,
                            "input " + i + " " + Arrays.toString(shape) + " element " + Arrays.toString(idx)
                                    + ": analytic " + analytic[e] + ", numeric " + numeric);
                }
            }
        }
        return worst;
    }

    private static double projected(Fn fn, Variable[] vars, Tensor projection, Backend b) {
        try (var scope = GradMode.noGrad()) {
            Tensor y = fn.apply(vars).value();
            return b.reduce(ReduceOp.SUM, b.binary(BinaryOp.MUL, y, projection), new int[0], false).item();
        }
    }

    private static Tensor randomLike(Tensor t, long seed) {
        Random r = new Random(seed);
        double[] v = new double[(int) t.numel()];
        for (int i = 0; i < v.length; i++) v[i] = r.nextGaussian();
        Tensor host = Tensor.of(v, t.shape().length == 0 ? new int[0] : t.shape());
        return host.to(t.device());
    }

    private static int[] unravel(long e, int[] shape) {
        int[] idx = new int[shape.length];
        for (int d = shape.length - 1; d >= 0; d--) {
            idx[d] = (int) (e % shape[d]);
            e /= shape[d];
        }
        return idx;
    }
}
