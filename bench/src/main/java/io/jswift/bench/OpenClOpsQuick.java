package io.jswift.bench;

import io.jswift.backend.opencl.OpenClBackendProvider;
import io.jswift.tensor.Backends;
import io.jswift.tensor.DType;
import io.jswift.tensor.Device;
import io.jswift.tensor.Generator;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.AttentionSpec;
import io.jswift.tensor.spi.Backend;
import io.jswift.tensor.spi.BackendProvider;
import io.jswift.tensor.spi.BinaryOp;
import io.jswift.tensor.spi.FusedResults;
import io.jswift.tensor.spi.RandomSpec;
import io.jswift.tensor.spi.ReduceOp;

import java.util.function.Supplier;

/**
 * The device kernels of one training step's shapes on opencl:0 (PoCL here), through the public Backend API only, so
 * that the same file runs against any revision of the OpenCL backend (bench/gpu/pocl-compare.sh runs it on two):
 * GEMM (prefill and decode shapes), RMSNorm forward+backward, softmax, a broadcast add, a sum over rows, and causal
 * attention forward+backward of Qwen2.5-0.5B shape. Best of {@code reps} after a warm-up that builds the programs:
 * {@code java --add-modules jdk.incubator.vector -cp bench/target/benchmarks.jar io.jswift.bench.OpenClOpsQuick 5}.
 * Device timings wait for the in-order queue by reading one element back.
 */
public final class OpenClOpsQuick {
    public static void main(String[] args) {
        int reps = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        BackendProvider.Availability a = new OpenClBackendProvider().availability();
        if (!a.available()) {
            System.out.println("OpenCL unavailable: " + a.reason());
            return;
        }
        Device dev = new Device("opencl", 0);
        Backend cl = Backends.forDevice(dev), cpu = Backends.forDevice(Device.CPU);
        Generator gen = new Generator(7);
        Tensor x = random(cpu, gen, 256, 896).to(dev), w = random(cpu, gen, 4864, 896).to(dev);
        Tensor row = random(cpu, gen, 1, 896).to(dev), nw = random(cpu, gen, 896).to(dev), dy = random(cpu, gen, 256, 896).to(dev);
        Tensor logits = random(cpu, gen, 64, 8192).to(dev);
        Tensor q = random(cpu, gen, 1, 14, 256, 64).to(dev), k = random(cpu, gen, 1, 2, 256, 64).to(dev);
        Tensor v = random(cpu, gen, 1, 2, 256, 64).to(dev), dOut = random(cpu, gen, 1, 14, 256, 64).to(dev);
        AttentionSpec spec = AttentionSpec.causal(64);

        time("gemm 256x896 * (4864x896)^T", reps, () -> cl.matmul(x, w, false, true));
        time("gemv 1x896 * (4864x896)^T", reps, () -> cl.matmul(row, w, false, true));
        time("rmsNorm fwd+bwd 256x896", reps, () -> {
            FusedResults.RmsNorm r = cl.rmsNorm(x, nw, 1e-6);
            return cl.rmsNormBackward(dy, x, nw, r.rstd()).dInput();
        });
        time("softmax 64x8192", reps, () -> cl.softmax(logits));
        time("add broadcast 256x896 + 1x896", reps, () -> cl.binary(BinaryOp.ADD, x, row));
        time("sum over rows 256x896", reps, () -> cl.reduce(ReduceOp.SUM, x, new int[]{0}, false));
        time("attention fwd+bwd 14/2 heads T=256 D=64", reps, () -> {
            FusedResults.Attention f = cl.attention(q, k, v, spec);
            return cl.attentionBackward(dOut, q, k, v, f.output(), f.logSumExp(), spec).dq();
        });
    }

    private static void time(String what, int reps, Supplier<Tensor> op) {
        double best = Double.MAX_VALUE;
        for (int r = 0; r <= reps; r++) { // r = 0 warms up (program builds, JIT) and is not counted
            long t0 = System.nanoTime();
            op.get().reshape(-1).narrow(0, 0, 1).toDoubleArray();
            double ms = (System.nanoTime() - t0) / 1e6;
            if (r > 0) best = Math.min(best, ms);
        }
        System.out.printf("%-45s %9.3f ms%n", what, best);
    }

    private static Tensor random(Backend cpu, Generator gen, int... shape) {
        Tensor t = Tensor.zeros(DType.F32, shape);
        cpu.fillRandom(t, new RandomSpec.Normal(0, 1), gen);
        return t;
    }
}
