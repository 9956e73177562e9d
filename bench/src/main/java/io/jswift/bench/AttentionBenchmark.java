package io.jswift.bench;

import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.AttentionSpec;
import io.jswift.tensor.spi.FusedResults;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;

import java.util.concurrent.TimeUnit;

/** Causal GQA attention of Qwen2.5-0.5B shape (14 query heads, 2 kv heads, head dim 64), forward and backward. */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class AttentionBenchmark extends FusedOpsBenchmark {
    @Param({"512"})
    public int seq;

    private Tensor q, k, v, dOut;
    private FusedResults.Attention fwd;
    private AttentionSpec spec;

    @Setup
    public void setup() {
        init();
        q = random(1, 1, 14, seq, 64);
        k = random(2, 1, 2, seq, 64);
        v = random(3, 1, 2, seq, 64);
        dOut = random(4, 1, 14, seq, 64);
        spec = AttentionSpec.causal(64);
        fwd = backend.attention(q, k, v, spec);
    }

    @Benchmark
    public FusedResults.Attention forward() {
        return backend.attention(q, k, v, spec);
    }

    @Benchmark
    public FusedResults.AttentionGrads backward() {
        return backend.attentionBackward(dOut, q, k, v, fwd.output(), fwd.logSumExp(), spec);
    }
}
