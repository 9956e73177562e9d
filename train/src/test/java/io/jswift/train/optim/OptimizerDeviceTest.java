package io.jswift.train.optim;

import io.jswift.nn.Parameter;
import io.jswift.tensor.DType;
import io.jswift.tensor.Device;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.testing.DeviceTesting;
import io.jswift.tensor.testing.RandomTensors;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Optimizers on opencl:0: state allocated on the parameter's device, updates equal to the cpu's, state saved and
 * restored across devices (a checkpoint written from device state resumes on either), clipping on device gradients.
 */
class OptimizerDeviceTest {
    private static final int STEPS = 3;

    /** Two parameters (a matrix that decays, a vector that doesn't) and fixed gradients per step, on {@code device}. */
    private record Setup(Map<String, Parameter> params, List<Tensor[]> grads) {
        static Setup on(Device device) {
            long[] seed = {7};
            Map<String, Parameter> params = new LinkedHashMap<>();
            params.put("w", new Parameter(random(seed, 5, 7).to(device)));
            params.put("b", new Parameter(random(seed, 7).to(device)));
            List<Tensor[]> grads = new ArrayList<>();
            for (int s = 0; s < STEPS; s++) grads.add(new Tensor[]{random(seed, 5, 7).to(device), random(seed, 7).to(device)});
            return new Setup(params, grads);
        }

        void run(Optimizer opt) {
            for (Tensor[] g : grads) {
                params.get("w").variable().setGrad(g[0]);
                params.get("b").variable().setGrad(g[1]);
                opt.step();
                opt.zeroGrad();
            }
        }
    }

    private static Tensor random(long[] seed, int... shape) {
        return RandomTensors.random(seed[0]++, DType.F32, shape);
    }

    private static void assertSameTraining(Function<Map<String, Parameter>, Optimizer> make) {
        Device cl = DeviceTesting.openCl();
        Setup cpu = Setup.on(Device.CPU), dev = Setup.on(cl);
        Optimizer cpuOpt = make.apply(cpu.params), devOpt = make.apply(dev.params);
        cpu.run(cpuOpt);
        dev.run(devOpt);
        for (String n : cpu.params.keySet()) {
            assertEquals(cl, dev.params.get(n).device(), n);
            assertArrayEquals(cpu.params.get(n).value().toDoubleArray(), dev.params.get(n).value().toDoubleArray(), 1e-6, n);
        }
        Map<String, Tensor> cpuState = cpuOpt.stateDict(), devState = devOpt.stateDict();
        assertEquals(cpuState.keySet(), devState.keySet());
        for (var e : devState.entrySet()) {
            assertEquals(cl, e.getValue().device(), "state on the parameter's device: " + e.getKey());
            assertArrayEquals(cpuState.get(e.getKey()).toDoubleArray(), e.getValue().toDoubleArray(), 1e-6, e.getKey());
        }
        // resume: host copies of the device state (as a checkpoint holds them) load back onto the device
        Map<String, Tensor> saved = new LinkedHashMap<>();
        devState.forEach((k, v) -> saved.put(k, v.to(Device.CPU)));
        Optimizer resumed = make.apply(dev.params);
        resumed.loadStateDict(saved, devOpt.stepCount());
        resumed.stateDict().forEach((k, v) -> {
            assertEquals(cl, v.device(), k);
            assertArrayEquals(saved.get(k).toDoubleArray(), v.toDoubleArray(), 0, k);
        });
    }

    private static List<ParamGroup> groups(Map<String, Parameter> params) {
        return ParamGroup.decayMatricesOnly(params, 0.1);
    }

    @Test
    void sgdWithMomentumAndWeightDecayEqualsTheCpu() {
        assertSameTraining(p -> new Sgd(groups(p), 0.05, 0.9));
    }

    @Test
    void adamwEqualsTheCpu() {
        assertSameTraining(p -> new AdamW(groups(p), 0.01, 0.9, 0.95, 1e-8));
    }

    @Test
    void gradientClippingOnDeviceGradientsEqualsTheCpu() {
        Device cl = DeviceTesting.openCl();
        Setup cpu = Setup.on(Device.CPU), dev = Setup.on(cl);
        for (Setup s : List.of(cpu, dev)) {
            s.params.get("w").variable().setGrad(s.grads.get(0)[0]);
            s.params.get("b").variable().setGrad(s.grads.get(0)[1]);
        }
        double norm = GradClip.clip(cpu.params.values(), 0.5), devNorm = GradClip.clip(dev.params.values(), 0.5);
        assertEquals(norm, devNorm, 1e-5 * norm);
        for (String n : cpu.params.keySet()) {
            assertEquals(cl, dev.params.get(n).grad().device(), n);
            assertArrayEquals(cpu.params.get(n).grad().toDoubleArray(), dev.params.get(n).grad().toDoubleArray(), 1e-6, n);
        }
    }
}
