package io.jswift.bench;

import io.jswift.backend.cpu.CpuBackend;
import io.jswift.tensor.DType;
import io.jswift.tensor.Generator;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.RandomSpec;

/**
 * A fast side-by-side GEMM check for kernel development (JMH is the number of record):
 * {@code java ... -cp bench/target/benchmarks.jar io.jswift.bench.GemmQuick 1024 2048}.
 * Alternates jswift and OpenBLAS runs so both see the same machine load; prints GFLOPS and the ratio.
 */
public final class GemmQuick {
    public static void main(String[] args) {
        CpuBackend backend = new CpuBackend();
        OpenBlas blas = new OpenBlas();
        for (String arg : args.length == 0 ? new String[]{"1024", "2048"} : args) {
            int n = Integer.parseInt(arg);
            Generator gen = new Generator(1);
            Tensor a = Tensor.zeros(DType.F32, n, n), b = Tensor.zeros(DType.F32, n, n), c = Tensor.zeros(DType.F32, n, n);
            backend.fillRandom(a, new RandomSpec.Normal(0, 1), gen);
            backend.fillRandom(b, new RandomSpec.Normal(0, 1), gen);
            double flop = 2.0 * n * n * n;
            double bestJ = Double.MAX_VALUE, bestB = Double.MAX_VALUE;
            int reps = Math.max(3, (int) (4e10 / flop));
            for (int r = 0; r < reps; r++) {
                long t0 = System.nanoTime();
                backend.matmul(a, b, false, false);
                bestJ = Math.min(bestJ, (System.nanoTime() - t0) / 1e9);
                t0 = System.nanoTime();
                blas.sgemm(false, false, n, n, n, a.hostSegment(), b.hostSegment(), c.hostSegment());
                bestB = Math.min(bestB, (System.nanoTime() - t0) / 1e9);
            }
            System.out.printf("n=%d jswift %.1f GFLOPS, openblas %.1f GFLOPS, ratio %.2f%n", n, flop / bestJ / 1e9,
                    flop / bestB / 1e9, bestB / bestJ);
        }
    }
}
