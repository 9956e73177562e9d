package io.jswift.backend.cpu.gemm;

import io.jswift.backend.cpu.gemm.Gemm.Route;
import io.jswift.tensor.DType;
import io.jswift.tensor.Tensor;

import static io.jswift.tensor.testing.RandomTensors.random;

/**
 * One product C [m, n] (+)= A·B on given operands, run through a {@link Route} or summed in float64 as the oracle.
 * The operands' tensors are kept ({@code tensors}): an unreachable tensor's memory goes back to the allocator and
 * would be handed out again while an Operand still reads it.
 */
record GemmCase(int m, int n, int k, Operand a, Operand b, Tensor out, Tensor... tensors) {
    /** X [m, k] as a view with 3 spare columns a row; B = Wᵀ for W [n, k] a view starting 2 elements into a wider row. */
    static GemmCase weightRows(int m, int n, int k, DType weight, long seed) {
        Tensor x = random(seed, m, k + 3).narrow(1, 1, k);
        Tensor w = random(seed + 1, weight, n, k + 5).narrow(1, 2, k);
        Operand a = new Operand(x.hostSegment(), DType.F32, x.offset(), x.stride(0), 1);
        Operand b = new Operand(w.hostSegment(), weight, w.offset(), 1, w.stride(0));
        return new GemmCase(m, n, k, a, b, random(seed + 2, m, n), x, w);
    }

    /**
     * LoRA's dB = dYᵀ·h: A = dYᵀ for dY [k, m] (a view with spare columns), B = h [k, n] row-major; C is narrow.
     */
    static GemmCase transposedA(int m, int n, int k, long seed) {
        Tensor dy = random(seed, k, m + 2).narrow(1, 1, m);
        Tensor h = random(seed + 1, k, n);
        Operand a = new Operand(dy.hostSegment(), DType.F32, dy.offset(), 1, dy.stride(0));
        Operand b = new Operand(h.hostSegment(), DType.F32, h.offset(), n, 1);
        return new GemmCase(m, n, k, a, b, random(seed + 2, m, n), dy, h);
    }

    double[] expected(boolean accumulate) {
        double[] c = out.toDoubleArray();
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = accumulate ? c[i * n + j] : 0;
                for (int p = 0; p < k; p++) s += a.getDouble(i, p) * b.getDouble(p, j);
                c[i * n + j] = s;
            }
        }
        return c;
    }

    float[] run(Route route, boolean accumulate) {
        Tensor c = out.copy();
        Gemm.sgemm(route, m, n, k, a, b, c.hostSegment(), c.offset(), n, accumulate);
        return c.toFloatArray();
    }
}
