package io.jswift.backend.cpu.fused;

import io.jswift.backend.cpu.CpuBackend;
import io.jswift.tensor.DType;
import io.jswift.tensor.Generator;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.Backend;
import io.jswift.tensor.spi.BinaryOp;
import io.jswift.tensor.spi.RandomSpec;
import io.jswift.tensor.spi.ReduceOp;
import io.jswift.tensor.spi.UnaryOp;

import java.util.List;

import static io.jswift.tensor.testing.RandomTensors.random;

/**
 * Shared by the fused-op tests: the two CPU implementations of every fused op (the SIMD kernels of
 * {@link CpuBackend}, and the reference composition FusedReference running on CPU primitives) and
 * tolerances per dtype. Every test compares both against the float64 loops of NaiveFused.
 */
final class FusedTesting {
    private FusedTesting() {}

    static final Backend KERNELS = new CpuBackend();
    static final Backend REFERENCE = new ReferenceOnly();

    /** "kernels" or "reference". */
    static Backend backend(String name) {
        return switch (name) {
            case "kernels" -> KERNELS;
            case "reference" -> REFERENCE;
            default -> throw new IllegalArgumentException(name);
        };
    }

    /** Relative/absolute tolerance for results computed in {@code dtype}. */
    static double tol(DType dtype) {
        return dtype == DType.F64 ? 1e-12 : 2e-5;
    }

    /** Seeded Gaussian tensor of {@code dtype}; with {@code transposed}, a [.., b, a] buffer viewed as [.., a, b]. */
    static Tensor input(long seed, DType dtype, boolean transposed, int... shape) {
        if (!transposed || shape.length < 2) return random(seed, dtype, shape);
        int[] s = shape.clone();
        int r = s.length;
        s[r - 1] = shape[r - 2];
        s[r - 2] = shape[r - 1];
        return random(seed, dtype, s).transpose(r - 2, r - 1);
    }

    static List<String> backends() {
        return List.of("kernels", "reference");
    }

    /** The CPU backend with none of its fused kernels: every fused call takes FusedReference. */
    static final class ReferenceOnly implements Backend {
        private final CpuBackend cpu = new CpuBackend();

        @Override public io.jswift.tensor.Device device() { return cpu.device(); }
        @Override public Tensor allocate(DType dtype, int... shape) { return cpu.allocate(dtype, shape); }
        @Override public Tensor fromHost(Tensor host) { return cpu.fromHost(host); }
        @Override public Tensor toHost(Tensor tensor) { return cpu.toHost(tensor); }
        @Override public void copy(Tensor src, Tensor dst) { cpu.copy(src, dst); }
        @Override public void fill(Tensor dst, double value) { cpu.fill(dst, value); }
        @Override public Tensor arange(double start, double end, double step, DType dtype) { return cpu.arange(start, end, step, dtype); }
        @Override public void fillRandom(Tensor dst, RandomSpec spec, Generator generator) { cpu.fillRandom(dst, spec, generator); }
        @Override public Tensor unary(UnaryOp op, Tensor x) { return cpu.unary(op, x); }
        @Override public Tensor binary(BinaryOp op, Tensor a, Tensor b) { return cpu.binary(op, a, b); }
        @Override public Tensor binaryScalar(BinaryOp op, Tensor a, double s) { return cpu.binaryScalar(op, a, s); }
        @Override public Tensor where(Tensor c, Tensor a, Tensor b) { return cpu.where(c, a, b); }
        @Override public Tensor reduce(ReduceOp op, Tensor x, int[] dims, boolean keep) { return cpu.reduce(op, x, dims, keep); }
        @Override public Tensor argmax(Tensor x, int dim, boolean keep) { return cpu.argmax(x, dim, keep); }
        @Override public Tensor matmul(Tensor a, Tensor b, boolean ta, boolean tb) { return cpu.matmul(a, b, ta, tb); }
        @Override public Tensor indexSelect(Tensor x, int dim, Tensor index) { return cpu.indexSelect(x, dim, index); }
        @Override public Tensor gather(Tensor x, int dim, Tensor index) { return cpu.gather(x, dim, index); }
        @Override public void scatterAdd(Tensor dst, int dim, Tensor index, Tensor src) { cpu.scatterAdd(dst, dim, index, src); }
        @Override public void indexAdd(Tensor dst, int dim, Tensor index, Tensor src) { cpu.indexAdd(dst, dim, index, src); }
        @Override public Tensor concat(List<Tensor> ts, int dim) { return cpu.concat(ts, dim); }
    }
}
