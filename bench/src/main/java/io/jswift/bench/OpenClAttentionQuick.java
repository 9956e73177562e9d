package io.jswift.bench;

import io.jswift.backend.cpu.CpuBackend;
import io.jswift.backend.opencl.OpenClBackendProvider;
import io.jswift.tensor.Backends;
import io.jswift.tensor.DType;
import io.jswift.tensor.Device;
import io.jswift.tensor.Generator;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.AttentionSpec;
import io.jswift.tensor.spi.Backend;
import io.jswift.tensor.spi.BackendProvider;
import io.jswift.tensor.spi.FusedResults;
import io.jswift.tensor.spi.RandomSpec;

/**
 * OpenCL flash attention against the CPU backend's attention kernel, causal GQA of Qwen2.5-0.5B shape
 * (B=1, Hq=14, Hkv=2, D=64, T=S=seq), forward and forward+backward, f32, best of {@code reps} after a warm-up
 * that builds the OpenCL programs:
 * {@code java --add-modules jdk.incubator.vector -cp bench/target/benchmarks.jar io.jswift.bench.OpenClAttentionQuick 512 5}.
 * Device timings wait for the queue by reading one element back (the queue is in order).
 */
public final class OpenClAttentionQuick {
    private static final int B = 1, HQ = 14, HKV = 2, D = 64;

    public static void main(String[] args) {
        int seq = args.length > 0 ? Integer.parseInt(args[0]) : 512;
        int reps = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        BackendProvider.Availability a = new OpenClBackendProvider().availability();
        if (!a.available()) {
            System.out.println("OpenCL unavailable: " + a.reason());
            return;
        }
        Device dev = new Device("opencl", 0);
        Backend cl = Backends.forDevice(dev), cpu = new CpuBackend();
        Generator gen = new Generator(1);
        Tensor q = random(cpu, gen, B, HQ, seq, D), k = random(cpu, gen, B, HKV, seq, D), v = random(cpu, gen, B, HKV, seq, D);
        Tensor dOut = random(cpu, gen, B, HQ, seq, D);
        Tensor qd = q.to(dev), kd = k.to(dev), vd = v.to(dev), dOutD = dOut.to(dev);
        AttentionSpec spec = AttentionSpec.causal(D);

        double clFwd = Double.MAX_VALUE, clBoth = Double.MAX_VALUE, cpuFwd = Double.MAX_VALUE, cpuBoth = Double.MAX_VALUE;
        for (int r = 0; r <= reps; r++) {  // r = 0 warms up (program builds, JIT) and is not counted
            long t0 = System.nanoTime();
            FusedResults.Attention f = cl.attention(qd, kd, vd, spec);
            sync(f.logSumExp());
            double fwd = (System.nanoTime() - t0) / 1e6;
            t0 = System.nanoTime();
            f = cl.attention(qd, kd, vd, spec);
            sync(cl.attentionBackward(dOutD, qd, kd, vd, f.output(), f.logSumExp(), spec).dv());
            double both = (System.nanoTime() - t0) / 1e6;

            t0 = System.nanoTime();
            FusedResults.Attention c = cpu.attention(q, k, v, spec);
            double cFwd = (System.nanoTime() - t0) / 1e6;
            t0 = System.nanoTime();
            c = cpu.attention(q, k, v, spec);
            cpu.attentionBackward(dOut, q, k, v, c.output(), c.logSumExp(), spec);
            double cBoth = (System.nanoTime() - t0) / 1e6;
            if (r == 0) continue;
            clFwd = Math.min(clFwd, fwd);
            clBoth = Math.min(clBoth, both);
            cpuFwd = Math.min(cpuFwd, cFwd);
            cpuBoth = Math.min(cpuBoth, cBoth);
        }
        // causal: about half of the T x S scores; forward 2 products (QK^T, PV), backward 5
        double fwdFlop = 2.0 * 2 * B * HQ * seq * (double) seq * D / 2, bothFlop = fwdFlop * 3.5;
        System.out.printf("attention B=%d Hq=%d Hkv=%d D=%d T=S=%d causal f32, best of %d%n", B, HQ, HKV, D, seq, reps);
        System.out.printf("forward:          opencl %8.2f ms (%6.1f GFLOP/s), cpu %8.2f ms (%6.1f GFLOP/s), cpu/opencl %.2f%n",
                clFwd, fwdFlop / clFwd / 1e6, cpuFwd, fwdFlop / cpuFwd / 1e6, cpuFwd / clFwd);
        System.out.printf("forward+backward: opencl %8.2f ms (%6.1f GFLOP/s), cpu %8.2f ms (%6.1f GFLOP/s), cpu/opencl %.2f%n",
                clBoth, bothFlop / clBoth / 1e6, cpuBoth, bothFlop / cpuBoth / 1e6, cpuBoth / clBoth);
    }

    private static Tensor random(Backend cpu, Generator gen, int... shape) {
        Tensor t = Tensor.zeros(DType.F32, shape);
        cpu.fillRandom(t, new RandomSpec.Normal(0, 1), gen);
        return t;
    }

    /** Reads one element back: the in-order queue has then finished every command before it. */
    private static void sync(Tensor deviceTensor) {
        deviceTensor.reshape(-1).narrow(0, 0, 1).toDoubleArray();
    }
}
