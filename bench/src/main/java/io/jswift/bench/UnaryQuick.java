package io.jswift.bench;

import io.jswift.backend.cpu.CpuBackend;
import io.jswift.tensor.DType;
import io.jswift.tensor.Generator;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.RandomSpec;
import io.jswift.tensor.spi.UnaryOp;

/**
 * Best-of-10 time of unary ops on a [512, 3072] f32 activation (a ViT-base MLP block at 512 tokens):
 * {@code java --add-modules jdk.incubator.vector -cp bench/target/benchmarks.jar io.jswift.bench.UnaryQuick GELU SILU}.
 * Uses only the public API, so the same source also runs against an older jar as a source-file program.
 * A collection and a pause before each call let the host-memory cache recycle the previous output:
 * otherwise the timing is the first-touch cost of fresh pages (~20 ms here), not the op.
 */
public final class UnaryQuick {
    public static void main(String[] args) throws InterruptedException {
        CpuBackend cpu = new CpuBackend();
        Tensor x = Tensor.zeros(DType.F32, 512, 3072);
        cpu.fillRandom(x, new RandomSpec.Normal(0, 2), new Generator(1));
        for (String name : args.length == 0 ? new String[]{"GELU", "GELU_TANH", "SILU", "TANH"} : args) {
            UnaryOp op = UnaryOp.valueOf(name);
            long best = Long.MAX_VALUE;
            for (int i = 0; i < 13; i++) {
                System.gc();
                Thread.sleep(20);
                long t0 = System.nanoTime();
                cpu.unary(op, x);
                if (i >= 3) best = Math.min(best, System.nanoTime() - t0); // 3 warm-up calls
            }
            System.out.printf("%-10s %7.2f ms%n", op, best / 1e6);
        }
    }
}
