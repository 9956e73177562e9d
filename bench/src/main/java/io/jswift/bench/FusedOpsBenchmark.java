package io.jswift.bench;

import io.jswift.backend.cpu.CpuBackend;
import io.jswift.tensor.DType;
import io.jswift.tensor.Generator;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.Backend;
import io.jswift.tensor.spi.RandomSpec;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Shared state of the fused-op benchmarks: {@code impl = jswift} runs the CPU backend's SIMD kernel,
 * {@code impl = reference} the same op composed from primitives (FusedReference, what a backend without
 * the kernel runs), so each benchmark reports the fusion's gain as a same-run ratio.
 */
@State(Scope.Benchmark)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public abstract class FusedOpsBenchmark {
    @Param({"jswift", "reference"})
    public String impl;

    protected Backend backend;

    /** The CPU backend with none of its fused kernels: every fused call takes the interface default. */
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
        @Override public Tensor unary(io.jswift.tensor.spi.UnaryOp op, Tensor x) { return cpu.unary(op, x); }
        @Override public Tensor binary(io.jswift.tensor.spi.BinaryOp op, Tensor a, Tensor b) { return cpu.binary(op, a, b); }
        @Override public Tensor binaryScalar(io.jswift.tensor.spi.BinaryOp op, Tensor a, double s) { return cpu.binaryScalar(op, a, s); }
        @Override public Tensor where(Tensor c, Tensor a, Tensor b) { return cpu.where(c, a, b); }
        @Override public Tensor reduce(io.jswift.tensor.spi.ReduceOp op, Tensor x, int[] dims, boolean keep) { return cpu.reduce(op, x, dims, keep); }
        @Override public Tensor argmax(Tensor x, int dim, boolean keep) { return cpu.argmax(x, dim, keep); }
        @Override public Tensor matmul(Tensor a, Tensor b, boolean ta, boolean tb) { return cpu.matmul(a, b, ta, tb); }
        @Override public Tensor indexSelect(Tensor x, int dim, Tensor index) { return cpu.indexSelect(x, dim, index); }
        @Override public Tensor gather(Tensor x, int dim, Tensor index) { return cpu.gather(x, dim, index); }
        @Override public void scatterAdd(Tensor dst, int dim, Tensor index, Tensor src) { cpu.scatterAdd(dst, dim, index, src); }
        @Override public void indexAdd(Tensor dst, int dim, Tensor index, Tensor src) { cpu.indexAdd(dst, dim, index, src); }
        @Override public Tensor concat(java.util.List<Tensor> ts, int dim) { return cpu.concat(ts, dim); }
    }

    protected void init() {
        backend = impl.equals("jswift") ? new CpuBackend() : new ReferenceOnly();
    }

    protected static Tensor random(long seed, int... shape) {
        Tensor t = Tensor.zeros(DType.F32, shape);
        new CpuBackend().fillRandom(t, new RandomSpec.Normal(0, 1), new Generator(seed));
        return t;
    }
}
