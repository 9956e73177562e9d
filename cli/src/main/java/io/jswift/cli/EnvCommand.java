package io.jswift.cli;

import io.jswift.tensor.Backends;
import io.jswift.tensor.DType;
import io.jswift.tensor.Device;
import io.jswift.tensor.Generator;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.Backend;
import io.jswift.tensor.spi.BackendProvider;
import io.jswift.tensor.spi.RandomSpec;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.util.concurrent.Callable;

/** {@code jswift env}: the runtime, the backends found and, for unavailable ones, why; {@code --check} runs a GEMM self-test. */
@Command(name = "env", description = "Show the Java runtime and the compute backends found.")
final class EnvCommand implements Callable<Integer> {
    @Option(names = "--check", description = "Multiply two random matrices on each available backend and compare with a float64 loop.")
    boolean check;

    @Option(names = "--verbose", description = "Print stack traces on errors.")
    boolean verbose;

    @Override
    public Integer call() {
        PrintStream out = System.out;
        out.println("java: " + Runtime.version() + " (" + System.getProperty("java.vendor") + "), "
                + Runtime.getRuntime().availableProcessors() + " processors, max heap "
                + (Runtime.getRuntime().maxMemory() >> 20) + " MiB");
        int failures = 0;
        for (BackendProvider p : Backends.providers()) {
            BackendProvider.Availability a = p.availability();
            if (!a.available()) {
                out.println(p.type() + ": unavailable: " + a.reason());
                continue;
            }
            out.println(p.type() + ": available, " + a.deviceCount() + " device(s): " + a.reason());
            if (check) failures += selfCheck(new Device(p.type(), 0), out) ? 0 : 1;
        }
        return failures == 0 ? 0 : ErrorReporter.EXIT_ERROR;
    }

    /** C = A·B for n = 192 on the device, checked against a float64 loop; prints the max relative error and GFLOPS. */
    private static boolean selfCheck(Device device, PrintStream out) {
        int n = 192;
        Backend backend = Backends.forDevice(device);
        Generator gen = new Generator(42);
        Tensor a = Tensor.zeros(DType.F32, n, n), b = Tensor.zeros(DType.F32, n, n);
        Backends.forDevice(Device.CPU).fillRandom(a, new RandomSpec.Normal(0, 1), gen);
        Backends.forDevice(Device.CPU).fillRandom(b, new RandomSpec.Normal(0, 1), gen);
        Tensor da = a.to(device), db = b.to(device);
        Tensor c = null;
        for (int r = 0; r < 50; r++) c = backend.matmul(da, db, false, false); // warm-up: let the JIT compile the kernels
        int reps = 50;
        long t0 = System.nanoTime();
        for (int r = 0; r < reps; r++) c = backend.matmul(da, db, false, false);
        double seconds = (System.nanoTime() - t0) / 1e9;
        float[] av = a.toFloatArray(), bv = b.toFloatArray(), cv = c.toFloatArray();
        double maxErr = 0;
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0, mag = 0;
                for (int k = 0; k < n; k++) {
                    s += (double) av[i * n + k] * bv[k * n + j];
                    mag += Math.abs((double) av[i * n + k] * bv[k * n + j]);
                }
                maxErr = Math.max(maxErr, Math.abs(s - cv[i * n + j]) / mag);
            }
        }
        boolean ok = maxErr < 1e-5;
        out.printf("  %s check: %dx%d GEMM max rel. error %.2e (%s), %.1f GFLOPS%n", device, n, n, maxErr,
                ok ? "ok" : "FAILED", 2.0 * n * n * n * reps / seconds / 1e9);
        return ok;
    }
}
