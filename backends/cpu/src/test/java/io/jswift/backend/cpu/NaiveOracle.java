package io.jswift.backend.cpu;

import io.jswift.tensor.Shapes;
import io.jswift.tensor.Tensor;

import java.util.function.DoubleBinaryOperator;

/** Plain float64 loops over row-major arrays: the oracle the CPU kernels are checked against. */
final class NaiveOracle {
    private NaiveOracle() {}

    /** Value of {@code t} (given as its row-major doubles) at the row-major index {@code pos} of {@code outShape}, broadcasting. */
    static double at(double[] values, int[] shape, int[] outShape, long pos) {
        int lead = outShape.length - shape.length;
        long idx = 0, stride = 1;
        long p = pos;
        int[] coords = new int[outShape.length];
        for (int d = outShape.length - 1; d >= 0; d--) {
            coords[d] = (int) (p % outShape[d]);
            p /= outShape[d];
        }
        for (int d = shape.length - 1; d >= 0; d--) {
            int c = shape[d] == 1 ? 0 : coords[d + lead];
            idx += c * stride;
            stride *= shape[d];
        }
        return values[(int) idx];
    }

    static double[] binary(Tensor a, Tensor b, DoubleBinaryOperator f) {
        int[] out = Shapes.broadcast(a.shape(), b.shape());
        double[] av = a.toDoubleArray(), bv = b.toDoubleArray();
        double[] r = new double[(int) Shapes.numel(out)];
        for (int i = 0; i < r.length; i++) r[i] = f.applyAsDouble(at(av, a.shape(), out, i), at(bv, b.shape(), out, i));
        return r;
    }

    /**
     * SUM/MEAN/MAX/MIN of {@code t} over the dims flagged in {@code reduced}, in double, one output per
     * kept position in row-major order; NaN anywhere in a group makes that output NaN.
     */
    static double[] reduce(io.jswift.tensor.spi.ReduceOp op, Tensor t, boolean[] reduced) {
        int[] s = t.shape();
        double[] v = t.toDoubleArray();
        int[] out = s.clone();
        for (int d = 0; d < s.length; d++) if (reduced[d]) out[d] = 1;
        double[] acc = new double[(int) Shapes.numel(out)];
        long[] count = new long[acc.length];
        java.util.Arrays.fill(acc, switch (op) {
            case MAX -> Double.NEGATIVE_INFINITY;
            case MIN -> Double.POSITIVE_INFINITY;
            default -> 0;
        });
        int[] coords = new int[s.length];
        for (int i = 0; i < v.length; i++) {
            long rem = i;
            for (int d = s.length - 1; d >= 0; d--) {
                coords[d] = (int) (rem % s[d]);
                rem /= s[d];
            }
            int o = 0;
            for (int d = 0; d < s.length; d++) o = o * out[d] + (reduced[d] ? 0 : coords[d]);
            double e = v[i];
            acc[o] = switch (op) {
                case SUM, MEAN -> acc[o] + e;
                case MAX -> Double.isNaN(acc[o]) || Double.isNaN(e) ? Double.NaN : Math.max(acc[o], e);
                case MIN -> Double.isNaN(acc[o]) || Double.isNaN(e) ? Double.NaN : Math.min(acc[o], e);
            };
            count[o]++;
        }
        if (op == io.jswift.tensor.spi.ReduceOp.MEAN) for (int o = 0; o < acc.length; o++) acc[o] /= count[o];
        return acc;
    }

    /** C = op(A)·op(B) for 2-D inputs, in double. */
    static double[] matmul(Tensor a, Tensor b, boolean ta, boolean tb) {
        double[] av = a.toDoubleArray(), bv = b.toDoubleArray();
        int ar = a.size(0), ac = a.size(1), br = b.size(0), bc = b.size(1);
        int m = ta ? ac : ar, k = ta ? ar : ac, n = tb ? br : bc;
        double[] c = new double[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p < k; p++) s += (ta ? av[p * ac + i] : av[i * ac + p]) * (tb ? bv[j * bc + p] : bv[p * bc + j]);
                c[i * n + j] = s;
            }
        }
        return c;
    }
}
