package io.jswift.train.optim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jswift.nn.Parameter;
import io.jswift.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Optimizers, schedules and clipping against torch (tools/fixtures/optim_fixtures.py). */
class OptimizerGoldenTest {
    static JsonNode load(String name) throws IOException {
        try (InputStream in = OptimizerGoldenTest.class.getResourceAsStream("/optim/" + name)) {
            return new ObjectMapper().readTree(in);
        }
    }

    static double[] doubles(JsonNode a) {
        double[] v = new double[a.size()];
        for (int i = 0; i < v.length; i++) v[i] = a.get(i).asDouble();
        return v;
    }

    private interface Factory {
        Optimizer make(Map<String, Parameter> named);
    }

    private void replay(String caseName, Factory factory) throws IOException {
        JsonNode f = load("optimizers.json");
        Parameter w = new Parameter(Tensor.of(doubles(f.get("w0")), 3, 4));
        Parameter b = new Parameter(Tensor.of(doubles(f.get("b0")), 4));
        Map<String, Parameter> named = new LinkedHashMap<>();
        named.put("w", w);
        named.put("b", b);
        Optimizer opt = factory.make(named);
        JsonNode traj = f.get("cases").get(caseName);
        for (int s = 0; s < traj.size(); s++) {
            w.variable().setGrad(Tensor.of(doubles(f.get("grads").get(s).get("w")), 3, 4));
            b.variable().setGrad(Tensor.of(doubles(f.get("grads").get(s).get("b")), 4));
            opt.step();
            assertArrayEquals(doubles(traj.get(s).get("w")), w.value().toDoubleArray(), 1e-12, caseName + " w after step " + (s + 1));
            assertArrayEquals(doubles(traj.get(s).get("b")), b.value().toDoubleArray(), 1e-12, caseName + " b after step " + (s + 1));
        }
    }

    @Test
    void adamwMatchesTorch() throws IOException {
        replay("adamw", named -> new AdamW(ParamGroup.decayMatricesOnly(named, 0.1), 1e-2, 0.9, 0.95, 1e-8));
    }

    @Test
    void sgdWithMomentumMatchesTorch() throws IOException {
        replay("sgd_momentum", named -> new Sgd(ParamGroup.decayMatricesOnly(named, 0.01), 0.1, 0.9));
        replay("sgd", named -> new Sgd(List.of(new ParamGroup(named, 0)), 0.05, 0));
    }

    @Test
    void schedulesMatchTransformers() throws IOException {
        JsonNode f = load("schedules.json");
        for (var it = f.fields(); it.hasNext(); ) {
            var e = it.next();
            JsonNode c = e.getValue();
            LrSchedule s = new LrSchedule(LrSchedule.parse(c.get("name").asText()), c.get("base_lr").asDouble(),
                    c.get("warmup").asInt(), c.get("total").asInt());
            double[] lrs = doubles(c.get("lrs"));
            for (int step = 0; step < lrs.length; step++) {
                assertEquals(lrs[step], s.learningRate(step), 1e-15, e.getKey() + " step " + step);
            }
        }
        assertThrows(IllegalArgumentException.class, () -> LrSchedule.parse("polynomial_decay"));
    }

    @Test
    void clippingMatchesTorch() throws IOException {
        JsonNode f = load("clipping.json");
        for (var it = f.get("cases").fields(); it.hasNext(); ) {
            var e = it.next();
            Parameter a = new Parameter(Tensor.of(new double[15], 5, 3)), c = new Parameter(Tensor.of(new double[7], 7));
            a.variable().setGrad(Tensor.of(doubles(f.get("g1")), 5, 3));
            c.variable().setGrad(Tensor.of(doubles(f.get("g2")), 7));
            double norm = GradClip.clip(List.of(a, c), Double.parseDouble(e.getKey()));
            assertEquals(e.getValue().get("total_norm").asDouble(), norm, 1e-12);
            assertArrayEquals(doubles(e.getValue().get("g1")), a.grad().toDoubleArray(), 1e-12);
            assertArrayEquals(doubles(e.getValue().get("g2")), c.grad().toDoubleArray(), 1e-12);
        }
    }

    @Test
    void theNormOfAGradientLargerThanOneChunkIsExact() {
        // 3 million elements: summed in 1 Mi-element chunks; compared with a double loop
        int n = 3_000_001;
        double[] g = new double[n];
        java.util.Random r = new java.util.Random(5);
        double expected = 0;
        for (int i = 0; i < n; i++) {
            g[i] = r.nextGaussian();
            expected += g[i] * g[i];
        }
        Parameter p = new Parameter(Tensor.of(new double[n], n));
        p.variable().setGrad(Tensor.of(g, n));
        assertEquals(Math.sqrt(expected), GradClip.globalNorm(List.of(p)), 1e-9 * Math.sqrt(expected));
        GradClip.clip(List.of(p), 1.0);
        assertEquals(1.0, GradClip.globalNorm(List.of(p)), 1e-6);
    }

    @Test
    void stateDictRoundTripResumesIdentically() throws IOException {
        JsonNode f = load("optimizers.json");
        Factory make = named -> new AdamW(ParamGroup.decayMatricesOnly(named, 0.1), 1e-2, 0.9, 0.95, 1e-8);
        Parameter w = new Parameter(Tensor.of(doubles(f.get("w0")), 3, 4));
        Map<String, Parameter> named = new LinkedHashMap<>(Map.of("w", w));
        Optimizer first = make.make(named);
        w.variable().setGrad(Tensor.of(doubles(f.get("grads").get(0).get("w")), 3, 4));
        first.step();
        Optimizer resumed = make.make(named);
        resumed.loadStateDict(first.stateDict(), first.stepCount());
        w.variable().setGrad(Tensor.of(doubles(f.get("grads").get(1).get("w")), 3, 4));
        resumed.step();
        assertArrayEquals(doubles(f.get("cases").get("adamw").get(1).get("w")), w.value().toDoubleArray(), 1e-12);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> resumed.loadStateDict(Map.of("nope.exp_avg", Tensor.of(new double[]{1}, 1)), 1));
        assertEquals("optimizer state has unknown entry 'nope.exp_avg'", e.getMessage());
    }
}
