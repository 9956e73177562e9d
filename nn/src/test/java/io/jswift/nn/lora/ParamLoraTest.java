package io.jswift.nn.lora;

import io.jswift.autograd.GradCheck;
import io.jswift.autograd.GradMode;
import io.jswift.autograd.Variable;
import io.jswift.autograd.ops.Grouped;
import io.jswift.nn.Activation;
import io.jswift.nn.Module;
import io.jswift.nn.Parameter;
import io.jswift.nn.moe.GptOssExperts;
import io.jswift.nn.moe.MoeExperts;
import io.jswift.nn.moe.RoutedExperts;
import io.jswift.tensor.DType;
import io.jswift.tensor.Generator;
import io.jswift.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static io.jswift.tensor.testing.TensorAssert.relL2;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * LoRA on fused expert parameters (PEFT's ParamWrapper): the delta against a per-expert loop over PEFT's layout, float64
 * finite differences through the grouped expert ops, the state-dict keys of nested wrappers, disabling, merging,
 * unloading, and the errors for a name that matches nothing, a parameter that is not 3-D, and dropout.
 */
class ParamLoraTest {
    private static final double EPS = 1e-6, ATOL = 1e-7, RTOL = 1e-5;

    private static Tensor rand(long seed, int... shape) {
        Random r = new Random(seed);
        int n = 1;
        for (int d : shape) n *= d;
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = r.nextGaussian() * 0.5;
        return Tensor.of(v, shape);
    }

    /** A module holding one model's MoE experts at model.layers.0.mlp.experts (for the key layout). */
    static final class Holder extends Module {
        Holder(Module experts) {
            registerModule("experts", experts);
        }
    }

    /** ΔW_e = B_e·A_e with A_e = rows e·R.. of A and B_e[o][k] = B[o][k·E + e] (PEFT's reshape (O, R, E)). */
    private static double[] deltaByLoop(double[] a, double[] b, int e, int r, int in, int out, boolean transposed) {
        double[] d = new double[e * in * out];
        for (int x = 0; x < e; x++) {
            for (int o = 0; o < out; o++) {
                for (int i = 0; i < in; i++) {
                    double s = 0;
                    for (int k = 0; k < r; k++) s += b[o * (r * e) + k * e + x] * a[(x * r + k) * in + i];
                    d[transposed ? (x * in + i) * out + o : (x * out + o) * in + i] = s;
                }
            }
        }
        return d;
    }

    @Test
    void deltaFollowsPeftsLayoutInBothOrientations() {
        int e = 3, r = 2, in = 5, out = 4;
        Tensor a = rand(1, r * e, in), b = rand(2, out, r * e);
        for (boolean transposed : new boolean[]{false, true}) {
            Tensor w = Tensor.zeros(DType.F64, transposed ? new int[]{e, in, out} : new int[]{e, out, in});
            double[] got = ParamLora.adapted(Variable.constant(w), Variable.constant(a), Variable.constant(b), r, 1.5, transposed)
                    .value().toDoubleArray();
            double[] want = deltaByLoop(a.toDoubleArray(), b.toDoubleArray(), e, r, in, out, transposed);
            for (int i = 0; i < want.length; i++) want[i] *= 1.5;
            assertArrayEquals(want, got, 1e-12, "transposed " + transposed);
        }
    }

    /** rows [7, 5] in groups 3, 0, 4; W [3, 6, 5] (x·Wᵀ) or [3, 5, 6] (x·W); A [2·3, 5], B [6, 2·3]. */
    @Test
    void gradientsOfRowsWeightAndFactorsMatchFiniteDifferences() {
        int[] counts = {3, 0, 4};
        GradCheck.Report r = GradCheck.check(in -> Grouped.linear(in[0], ParamLora.adapted(in[1], in[2], in[3], 2, 0.7, false), counts),
                new Tensor[]{rand(3, 7, 5), rand(4, 3, 6, 5), rand(5, 6, 5), rand(6, 6, 6)}, EPS, ATOL, RTOL, 11);
        assertTrue(r.passed(), r.detail());
        GradCheck.Report t = GradCheck.check(in -> Grouped.matmul(in[0], ParamLora.adapted(in[1], in[2], in[3], 2, 0.7, true), counts),
                new Tensor[]{rand(7, 7, 5), rand(8, 3, 5, 6), rand(9, 6, 5), rand(10, 6, 6)}, EPS, ATOL, RTOL, 12);
        assertTrue(t.passed(), t.detail());
    }

    @Test
    void nestedWrappersTakePeftsKeysAndTheExpertsReadTheAdaptedWeights() {
        MoeExperts experts = new MoeExperts(4, 8, 6, Activation.SILU, new Generator(1));
        Holder model = new Holder(experts);
        LoraConfig config = new LoraConfig(2, 4, 0, false, false, List.of(), List.of("experts.gate_up_proj", "down_proj"));
        List<String> adapted = ParamLoraInjector.inject(model, config, new Generator(2));
        assertEquals(List.of("experts.gate_up_proj", "experts.down_proj"), adapted);
        var params = model.namedParameters();
        // gate_up_proj, declared first, is the inner wrapper: one base_layer deeper
        assertArrayEquals(new int[]{2 * 4, 8}, params.get("experts.base_layer.lora_A.weight").shape());
        assertArrayEquals(new int[]{12, 2 * 4}, params.get("experts.base_layer.lora_B.weight").shape());
        assertArrayEquals(new int[]{2 * 4, 6}, params.get("experts.lora_A.weight").shape());
        assertArrayEquals(new int[]{8, 2 * 4}, params.get("experts.lora_B.weight").shape());
        assertEquals(List.of("experts.base_layer", "experts"), List.copyOf(ParamLoraInjector.find(model).keySet()));
        assertTrue(!experts.gateUpProj().requiresGrad() && params.get("experts.lora_A.weight").requiresGrad());

        Tensor rows = rand(20, 5, 8).to(DType.F32);
        int[] counts = {2, 0, 3, 0};
        Tensor base = forward(experts, rows, counts);
        params.get("experts.lora_B.weight").setValue(rand(21, 8, 8).to(DType.F32));
        params.get("experts.base_layer.lora_B.weight").setValue(rand(22, 12, 8).to(DType.F32));
        Tensor adaptedOut = forward(experts, rows, counts);
        assertTrue(relL2(adaptedOut, base) > 1e-2, "a non-zero B changes the experts' output");
        try (AdaptersDisabled ignored = AdaptersDisabled.in(model)) {
            assertEquals(0, relL2(forward(experts, rows, counts), base), "disabled: the base experts");
        }

        Tensor gateUpBefore = experts.gateUpProj().value();
        List<String> merged = LoraMerge.mergeAndUnload(model);
        assertEquals(List.of("experts.base_layer", "experts"), merged);
        assertNull(experts.gateUpProj().parametrization());
        assertEquals(List.of("experts.gate_up_proj", "experts.down_proj"), List.copyOf(model.namedParameters().keySet()));
        assertTrue(relL2(forward(experts, rows, counts), adaptedOut) < 1e-6, "merged weights give the adapted output");
        assertTrue(relL2(experts.gateUpProj().value(), gateUpBefore) > 0);
    }

    @Test
    void unloadPutsTheStoredWeightsBack() {
        GptOssExperts experts = new GptOssExperts(3, 8, 4, new Generator(3));
        Holder model = new Holder(experts);
        Tensor rows = rand(30, 4, 8).to(DType.F32);
        int[] counts = {1, 3, 0};
        Tensor base = forward(experts, rows, counts);
        LoraInjector.inject(model, new LoraConfig(2, 4, 0, false, false, List.of(), List.of("down_proj")), new Generator(4));
        Parameter b = model.namedParameters().get("experts.lora_B.weight");
        assertArrayEquals(new int[]{8, 2 * 3}, b.shape(), "GPT-OSS down_proj [E, I, C] is x·W: out = C");
        b.setValue(rand(31, 8, 6).to(DType.F32));
        assertTrue(relL2(forward(experts, rows, counts), base) > 1e-3);
        LoraInjector.unload(model);
        assertEquals(0, relL2(forward(experts, rows, counts), base));
        assertEquals(4, model.namedParameters().size());
    }

    @Test
    void clearErrors() {
        Holder model = new Holder(new GptOssExperts(3, 8, 4, new Generator(5)));
        var none = assertThrows(IllegalArgumentException.class, () -> ParamLoraInjector.inject(model,
                new LoraConfig(2, 4, 0, false, false, List.of(), List.of("mlp.experts.gate_proj")), new Generator(0)));
        assertTrue(none.getMessage().contains("'mlp.experts.gate_proj' matches no parameter")
                && none.getMessage().contains("experts.gate_up_proj, experts.down_proj"), none.getMessage());
        var flat = assertThrows(IllegalArgumentException.class, () -> ParamLoraInjector.inject(model,
                new LoraConfig(2, 4, 0, false, false, List.of(), List.of("gate_up_proj_bias")), new Generator(0)));
        assertTrue(flat.getMessage().contains("experts.gate_up_proj_bias has shape [3, 8], not 3-D"), flat.getMessage());
        var dropout = assertThrows(IllegalArgumentException.class,
                () -> new LoraConfig(2, 4, 0.05, false, false, List.of("q_proj"), List.of("down_proj")));
        assertTrue(dropout.getMessage().contains("--lora_dropout 0"), dropout.getMessage());
        assertTrue(ParamLoraInjector.find(model).isEmpty(), "a failed injection leaves nothing behind");
    }

    private static Tensor forward(Module experts, Tensor rows, int[] counts) {
        try (var s = GradMode.noGrad()) {
            return ((RoutedExperts) experts).forward(Variable.constant(rows), counts).value();
        }
    }
}
