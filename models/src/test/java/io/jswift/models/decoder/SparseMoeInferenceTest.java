package io.jswift.models.decoder;

import io.jswift.autograd.GradMode;
import io.jswift.autograd.Variable;
import io.jswift.models.arch.Architectures;
import io.jswift.models.config.DecoderConfig;
import io.jswift.models.config.ModelConfig;
import io.jswift.nn.moe.MoeExperts;
import io.jswift.tensor.DType;
import io.jswift.tensor.Generator;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.RandomSpec;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The MoE block's inference path (host routing, one combine call) against its differentiable path on the same
 * weights and tokens, for every router the fixture families have: softmax with and without norm_topk_prob (Qwen3-MoE,
 * Qwen2-MoE with its gated shared expert, Mixtral), DeepSeek-V2's group-limited softmax with routed_scaling_factor,
 * and the sigmoid routers with groups, correction bias and scaling (DeepSeek-V3, GLM-4.5).
 */
class SparseMoeInferenceTest {
    private static DecoderConfig config(String name) throws Exception {
        Path dir = Path.of(SparseMoeInferenceTest.class.getResource("/models/" + name + "/config.json").toURI()).getParent();
        return ((ModelConfig.Decoder) Architectures.readConfig(dir)).config();
    }

    private static Tensor random(Generator gen, double std, int... shape) {
        Tensor t = Tensor.zeros(DType.F32, shape);
        t.backend().fillRandom(t, new RandomSpec.Normal(0, std), gen);
        return t;
    }

    @ParameterizedTest
    @ValueSource(strings = {"qwen3-moe-f32", "qwen2-moe-f32", "mixtral-f32", "deepseek-v2-f32", "deepseek-v3-f32", "glm4-moe-f32"})
    void inferenceEqualsTheDifferentiablePath(String family) throws Exception {
        DecoderConfig c = config(family);
        Generator gen = new Generator(5);
        SparseMoeBlock block = new SparseMoeBlock(c, gen);
        if (c.moe().scoring() == io.jswift.models.config.MoeConfig.Scoring.SIGMOID) {
            // a correction bias that changes the choice (the checkpoints' buffers start at zero)
            Tensor bias = block.namedParameters().get("gate.e_score_correction_bias").value();
            bias.backend().copy(random(gen, 0.5, bias.shape()), bias);
        }
        Tensor x = random(gen, 1, 2, 7, c.hiddenSize()); // 14 tokens: experts of several rows, some of none
        Variable taped = Variable.leaf(x, true);
        Tensor want = block.forward(taped, null).value();
        Tensor got;
        try (var s = GradMode.noGrad()) {
            Variable constant = Variable.constant(x);
            assertTrue(((MoeExperts) block.children().get("experts")).combines(Variable.constant(x)), "the inference path applies");
            got = block.forward(constant, null).value();
        }
        assertArrayEquals(want.shape(), got.shape());
        double[] a = want.toDoubleArray(), b = got.toDoubleArray();
        for (int i = 0; i < a.length; i++) {
            assertTrue(Math.abs(a[i] - b[i]) <= 1e-5 + 1e-5 * Math.abs(a[i]), family + " at " + i + ": " + a[i] + " vs " + b[i]);
        }
    }
}
