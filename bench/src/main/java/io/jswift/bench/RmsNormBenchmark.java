package io.jswift.bench;

import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.FusedResults;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;

import java.util.concurrent.TimeUnit;

/** RMSNorm of 512 tokens at Qwen2.5-0.5B (896) and Llama-3.2-1B (2048) widths, forward and backward. */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class RmsNormBenchmark extends FusedOpsBenchmark {
    @Param({"896", "2048"})
    public int hidden;

    private Tensor x, w, dy, rstd;

    @Setup
    public void setup() {
        init();
        x = random(1, 512, hidden);
        w = random(2, hidden);
        dy = random(3, 512, hidden);
        rstd = backend.rmsNorm(x, w, 1e-6).rstd();
    }

    @Benchmark
    public FusedResults.RmsNorm forward() {
        return backend.rmsNorm(x, w, 1e-6);
    }

    @Benchmark
    public FusedResults.NormGrads backward() {
        return backend.rmsNormBackward(dy, x, w, rstd);
    }
}
