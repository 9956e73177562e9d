package io.jswift.bench;

import io.jswift.backend.cpu.CpuBackend;
import io.jswift.tensor.DType;
import io.jswift.tensor.Generator;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.RandomSpec;
import io.jswift.tensor.spi.ReduceOp;
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

import java.util.concurrent.TimeUnit;

/**
 * The f32 SUM reductions training runs every step: the whole of a weight-sized gradient (gradient
 * clipping's sum of squares), the leading dim of [tokens, width] (bias gradients, broadcast backward),
 * and the last dim (norm statistics).
 */
@State(Scope.Benchmark)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class ReduceBenchmark {
    /** rows x cols, and which dims are reduced: all, first (dim 0) or last (dim -1). */
    @Param({"4096x4096:all", "8192x896:first", "512x2048:last"})
    public String shape;

    private final CpuBackend cpu = new CpuBackend();
    private Tensor x;
    private int[] dims;

    @Setup
    public void setup() {
        String[] parts = shape.split(":");
        String[] rc = parts[0].split("x");
        x = Tensor.zeros(DType.F32, Integer.parseInt(rc[0]), Integer.parseInt(rc[1]));
        cpu.fillRandom(x, new RandomSpec.Normal(0, 1), new Generator(1));
        dims = switch (parts[1]) {
            case "all" -> new int[0];
            case "first" -> new int[]{0};
            case "last" -> new int[]{-1};
            default -> throw new IllegalArgumentException("unknown reduction " + parts[1]);
        };
    }

    @Benchmark
    public Tensor sum() {
        return cpu.reduce(ReduceOp.SUM, x, dims, false);
    }
}
