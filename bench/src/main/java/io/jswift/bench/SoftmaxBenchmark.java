package io.jswift.bench;

import io.jswift.tensor.Tensor;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;

import java.util.concurrent.TimeUnit;

/** Softmax over rows of attention-score width (2048) and vocabulary width (32000). */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class SoftmaxBenchmark extends FusedOpsBenchmark {
    @Param({"512x2048", "64x32000"})
    public String shape;

    private Tensor x;

    @Setup
    public void setup() {
        init();
        String[] s = shape.split("x");
        x = random(1, Integer.parseInt(s[0]), Integer.parseInt(s[1]));
    }

    @Benchmark
    public Tensor softmax() {
        return backend.softmax(x);
    }
}
