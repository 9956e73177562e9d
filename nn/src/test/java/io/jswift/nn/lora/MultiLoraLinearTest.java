package io.jswift.nn.lora;

import io.jswift.autograd.GradMode;
import io.jswift.autograd.Variable;
import io.jswift.nn.Init;
import io.jswift.nn.Linear;
import io.jswift.nn.LinearLayer;
import io.jswift.nn.Module;
import io.jswift.tensor.Generator;
import io.jswift.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Each row of a mixed batch equals its own adapter (or the base layer) run alone. */
class MultiLoraLinearTest {
    private static final int IN = 6, OUT = 5, T = 3;

    /** Three adapters on one base: LoRA r=3, DoRA r=3, rsLoRA r=2; B random so each changes the output. */
    private static List<LoraLinear> adapters(Linear base) {
        List<LoraLinear> out = List.of(
                new LoraLinear(base, new LoraConfig(3, 6, 0, false, false, List.of("proj")), new Generator(11)),
                new LoraLinear(base, new LoraConfig(3, 6, 0, false, true, List.of("proj")), new Generator(12)),
                new LoraLinear(base, new LoraConfig(2, 4, 0, true, false, List.of("proj")), new Generator(13)));
        for (int i = 0; i < out.size(); i++) {
            LoraLinear l = out.get(i);
            l.adapterParameters().get("lora_B.weight").setValue(Init.normal(new Generator(20 + i), 0, 0.3, OUT, l.config().r()));
        }
        return out;
    }

    private static Tensor run(Function<Variable, Variable> f, Tensor x) {
        try (var g = GradMode.noGrad()) {
            return f.apply(Variable.constant(x)).value();
        }
    }

    @Test
    void everyRowEqualsItsAdapterAlone() {
        Linear base = new Linear(IN, OUT, true, new Generator(1));
        List<LoraLinear> solo = adapters(base);
        LoraRouting routing = new LoraRouting();
        LoraWeights[] weights = solo.stream().map(LoraWeights::of).toArray(LoraWeights[]::new);
        MultiLoraLinear multi = new MultiLoraLinear(base, routing, weights);
        int[] rows = {-1, 0, 0, 1, 2, 2, -1, 1};
        Tensor x = Init.normal(new Generator(5), 0, 1, rows.length, T, IN);
        routing.set(rows, solo.size());
        Tensor y = run(multi::forward, x);
        routing.clear();
        assertArrayEquals(new int[]{rows.length, T, OUT}, y.shape());
        routing.set(rows, solo.size()); // the same batch with its tokens flattened [B·T, I] (a MoE block's view) routes the same
        Tensor flat = run(multi::forward, x.reshape(rows.length * T, IN));
        routing.clear();
        assertArrayEquals(y.toFloatArray(), flat.toFloatArray());
        for (int r = 0; r < rows.length; r++) {
            Tensor xr = x.narrow(0, r, 1).contiguous();
            Tensor expected = run(rows[r] < 0 ? base::forward : solo.get(rows[r])::forward, xr);
            assertClose(expected.toFloatArray(), y.narrow(0, r, 1).contiguous().toFloatArray(), "row " + r + " (adapter " + rows[r] + ")");
            if (rows[r] >= 0) {
                float[] plain = run(base::forward, xr).toFloatArray();
                assertTrue(maxAbsDiff(plain, expected.toFloatArray()) > 1e-3, "adapter " + rows[r] + " changes nothing: the check would be void");
            }
        }
    }

    @Test
    void unroutedOrBaseOnlyIsTheBaseLayerAndARowCountMismatchFails() {
        Linear base = new Linear(IN, OUT, true, new Generator(1));
        LoraRouting routing = new LoraRouting();
        MultiLoraLinear multi = new MultiLoraLinear(base, routing, adapters(base).stream().map(LoraWeights::of).toArray(LoraWeights[]::new));
        Tensor x = Init.normal(new Generator(6), 0, 1, 2, T, IN);
        float[] plain = run(base::forward, x).toFloatArray();
        assertArrayEquals(plain, run(multi::forward, x).toFloatArray());
        routing.set(new int[]{-1, -1}, 3);
        assertArrayEquals(plain, run(multi::forward, x).toFloatArray());
        routing.clear();
        routing.set(new int[]{0, 1, 2}, 3);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> run(multi::forward, x));
        assertTrue(e.getMessage().contains("3 rows"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> routing.set(new int[]{0}, 3), "routings do not nest");
        routing.clear();
        assertThrows(IllegalArgumentException.class, () -> routing.set(new int[]{3}, 3));
    }

    /** A model whose two projections carry different subsets of the adapters; install puts the layers in and routes them. */
    static final class TwoLayers extends Module {
        final Linear q, v;
        TwoLayers() {
            q = registerModule("q_proj", new Linear(IN, IN, false, new Generator(2)));
            v = registerModule("v_proj", new Linear(IN, OUT, true, new Generator(3)));
        }
        Variable forward(Variable x) {
            return LinearLayer.child(this, "v_proj").forward(LinearLayer.child(this, "q_proj").forward(x));
        }
    }

    @Test
    void installWrapsTheTargetedLayersAndRoutesRows() {
        TwoLayers model = new TwoLayers();
        LoraLinear onQ = new LoraLinear(model.q, new LoraConfig(2, 4, 0, false, false, List.of("q_proj")), new Generator(31));
        onQ.adapterParameters().get("lora_B.weight").setValue(Init.normal(new Generator(32), 0, 0.5, IN, 2));
        LoraLinear onV = new LoraLinear(model.v, new LoraConfig(2, 4, 0, false, false, List.of("v_proj")), new Generator(33));
        onV.adapterParameters().get("lora_B.weight").setValue(Init.normal(new Generator(34), 0, 0.5, OUT, 2));
        Map<String, Map<String, LoraWeights>> set = new LinkedHashMap<>();
        set.put("only-q", Map.of("q_proj", LoraWeights.of(onQ)));
        set.put("only-v", Map.of("v_proj", LoraWeights.of(onV)));
        Tensor x = Init.normal(new Generator(7), 0, 1, 3, T, IN);
        float[] base = run(model::forward, x).toFloatArray();
        MultiLora served = MultiLora.install(model, set);
        assertEquals(List.of("only-q", "only-v"), served.names());
        assertEquals(1, served.index("only-v"));
        assertInstanceOf(MultiLoraLinear.class, model.children().get("q_proj"));
        assertSame(model.q.weight(), model.namedParameters().get("q_proj.weight"), "state-dict names stay the base layer's");
        Tensor y;
        try (var r = served.route(new int[]{1, 0, -1})) {
            y = run(model::forward, x);
        }
        Tensor x0 = x.narrow(0, 0, 1).contiguous(), x1 = x.narrow(0, 1, 1).contiguous();
        assertClose(run(v -> onV.forward(model.q.forward(v)), x0).toFloatArray(), y.narrow(0, 0, 1).contiguous().toFloatArray(), "row 0");
        assertClose(run(v -> model.v.forward(onQ.forward(v)), x1).toFloatArray(), y.narrow(0, 1, 1).contiguous().toFloatArray(), "row 1");
        float[] lastBase = new float[T * OUT];
        System.arraycopy(base, 2 * T * OUT, lastBase, 0, T * OUT);
        assertClose(lastBase, y.narrow(0, 2, 1).contiguous().toFloatArray(), "row 2");
        assertThrows(IllegalStateException.class, () -> MultiLora.install(model, set), "one adapter set per model");
    }

    /**
     * Equal up to float rounding: a GEMM's summation order may depend on how many rows it gets (the CPU backend
     * picks its kernel by shape), so a row computed in a batch of 8 and alone can differ in the last bit. Greedy
     * equality of whole replies is checked end to end in serve's MultiLoraBatchTest.
     */
    private static void assertClose(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], 1e-5 * (1 + Math.abs(expected[i])), what + " at " + i);
        }
    }

    private static double maxAbsDiff(float[] a, float[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
        return m;
    }
}
