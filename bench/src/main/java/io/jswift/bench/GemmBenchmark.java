package io.jswift.bench;

import io.jswift.backend.cpu.CpuBackend;
import io.jswift.tensor.DType;
import io.jswift.tensor.Generator;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.Backend;
import io.jswift.tensor.spi.RandomSpec;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

import java.util.concurrent.TimeUnit;

/**
 * C = A·B in f32, row-major n×n, jswift's packed GEMM against OpenBLAS's cblas_sgemm in the same JVM.
 * GFLOPS = 2n³ / time. Run with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset (see docs/BENCHMARKS.md).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class GemmBenchmark {
    @Param({"jswift", "openblas"})
    public String impl;

    @Param({"256", "1024", "2048"})
    public int n;

    private Backend backend;
    private OpenBlas blas;
    private Tensor a, b, c;

    @Setup
    public void setup() {
        backend = new CpuBackend();
        Generator gen = new Generator(1);
        a = Tensor.zeros(DType.F32, n, n);
        b = Tensor.zeros(DType.F32, n, n);
        c = Tensor.zeros(DType.F32, n, n);
        backend.fillRandom(a, new RandomSpec.Normal(0, 1), gen);
        backend.fillRandom(b, new RandomSpec.Normal(0, 1), gen);
        if (impl.equals("openblas")) blas = new OpenBlas();
    }

    @Benchmark
    public void gemm(Blackhole bh) {
        if (blas != null) {
            blas.sgemm(false, false, n, n, n, a.hostSegment(), b.hostSegment(), c.hostSegment());
            bh.consume(c);
        } else {
            backend.matmul(a, b, false, false, c); // into a preallocated C, as cblas_sgemm
            bh.consume(c);
        }
    }
}
