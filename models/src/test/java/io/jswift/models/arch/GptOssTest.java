package io.jswift.models.arch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jswift.models.CausalLm;
import io.jswift.models.config.DecoderConfig;
import io.jswift.models.config.ModelConfig;
import io.jswift.models.config.MoeConfig;
import io.jswift.models.decoder.DecoderInit;
import io.jswift.models.load.ModelWriter;
import io.jswift.nn.Parameter;
import io.jswift.tensor.DType;
import io.jswift.nn.lora.LoraConfig;
import io.jswift.tensor.Generator;
import io.jswift.tensor.io.SafetensorsFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * GptOssForCausalLM beyond FamilyGoldenTest's logits / decode / training checks (tools/fixtures/make_gpt_oss_models.py):
 * GptOssConfig's defaults, refused configs, the checkpoint written back as transformers wrote it, the router
 * load-balancing loss, PEFT's all-linear, and a from-config init as GptOssPreTrainedModel._init_weights.
 */
class GptOssTest {
    private static final String NAME = "gpt-oss-f32";

    @TempDir
    Path dir;

    private DecoderConfig parse(String extra) throws Exception {
        Files.writeString(dir.resolve("config.json"), "{\"architectures\": [\"GptOssForCausalLM\"], \"vocab_size\": 64, \"hidden_size\": 32,"
                + " \"num_hidden_layers\": 3, \"num_attention_heads\": 4, \"num_key_value_heads\": 2, \"intermediate_size\": 16" + extra + "}");
        return ((ModelConfig.Decoder) Architectures.readConfig(dir)).config();
    }

    /** GptOssConfig's defaults: YaRN (factor 32 over 4096, truncate false, theta 150000), even layers sliding over 128, q/k/v/o biases. */
    @Test
    void absentKeysTakeGptOssConfigsDefaults() throws Exception {
        DecoderConfig c = parse("");
        assertEquals(List.of(true, false, true), c.attention().slidingLayers());
        assertEquals(128, c.attention().slidingWindow());
        assertTrue(c.attention().sinks() && c.attention().qkvBias() && c.attention().oProjBias());
        assertEquals(64, c.attention().headDim());
        assertEquals(1e-5, c.norm().eps());
        assertEquals(150000.0, c.rope().theta());
        assertEquals(32.0, c.rope().yarn().factor());
        assertEquals(4096, c.rope().yarn().originalMaxPositionEmbeddings());
        assertFalse(c.rope().yarn().truncate());
        MoeConfig moe = c.moe();
        assertEquals(128, moe.numExperts());
        assertEquals(4, moe.topK());
        assertEquals(MoeConfig.Scoring.TOPK_SOFTMAX, moe.scoring());
        assertEquals(MoeConfig.ExpertMlp.GPT_OSS, moe.expertMlp());
        assertTrue(moe.hasLoadBalancingLoss());
        // transformers 4 layout of the released checkpoints: rope_theta + rope_scaling
        DecoderConfig released = parse(", \"rope_theta\": 1000.0, \"rope_scaling\": {\"rope_type\": \"yarn\", \"factor\": 8.0, \"beta_fast\": 32.0,"
                + " \"beta_slow\": 1.0, \"truncate\": false, \"original_max_position_embeddings\": 2048}, \"sliding_window\": 16");
        assertEquals(1000.0, released.rope().theta());
        assertEquals(8.0, released.rope().yarn().factor());
        assertEquals(16, released.attention().slidingWindow());
    }

    @Test
    void mxfp4AndOtherSwigluLimitsAreRefused() {
        IllegalArgumentException q = assertThrows(IllegalArgumentException.class,
                () -> parse(", \"quantization_config\": {\"quant_method\": \"mxfp4\", \"modules_to_not_convert\": []}"));
        assertTrue(q.getMessage().startsWith(dir.resolve("config.json") + ": quantization_config.quant_method mxfp4 is not supported for GPT-OSS"), q.getMessage());
        IllegalArgumentException s = assertThrows(IllegalArgumentException.class, () -> parse(", \"swiglu_limit\": 5.0"));
        assertTrue(s.getMessage().contains("'swiglu_limit' 5.0 differs from the 7.0 transformers' GptOssExperts always uses"), s.getMessage());
    }

    /** The fused expert tensors, biases, router bias and sinks are written back under transformers' names, values unchanged. */
    @Test
    void writtenBackAsTransformersWroteIt() throws Exception {
        Path base = FamilyGoldenTest.fixture(NAME);
        ModelWriter.write(dir.resolve("out"), base, FamilyGoldenTest.load(NAME, false), DType.F32);
        SafetensorsFile hf = SafetensorsFile.open(base.resolve("model.safetensors"));
        SafetensorsFile ours = SafetensorsFile.open(dir.resolve("out/model.safetensors"));
        assertEquals(new TreeSet<>(hf.names()), new TreeSet<>(ours.names()));
        assertTrue(hf.contains("model.layers.1.mlp.experts.gate_up_proj") && hf.contains("model.layers.0.self_attn.sinks"));
        for (String n : hf.names()) {
            assertArrayEquals(hf.tensor(n).shape(), ours.tensor(n).shape(), n);
            assertArrayEquals(hf.tensor(n).toFloatArray(), ours.tensor(n).toFloatArray(), n);
        }
        assertEquals("GptOssForCausalLM", ((ModelConfig.Decoder) Architectures.readConfig(dir.resolve("out"))).config().architecture());
    }

    /** load_balancing_loss_func on GPT-OSS's routers (softmax over all E biased logits), padding excluded: loss and gradients. */
    @Test
    void routerAuxLossMatchesTransformers() throws Exception {
        MoeAuxLossTest.assertMatchesTransformers(NAME, 2, "every layer's router");
    }

    /** PEFT 0.21's all-linear on the fixture (peft_all_linear.json): q/k/v/o only, no target_parameters — jswift's list, not refused. */
    @Test
    void allLinearIsTheAttentionProjectionsAsPeft() throws Exception {
        JsonNode peft = new ObjectMapper().readTree(FamilyGoldenTest.fixture(NAME).resolve("peft_all_linear.json").toFile());
        TreeSet<String> leaves = new TreeSet<>();
        peft.get("leaves").forEach(n -> leaves.add(n.asText()));
        assertEquals(leaves, new TreeSet<>(Architectures.find("GptOssForCausalLM").orElseThrow().allLinearTargets()));
        assertTrue(peft.get("target_parameters").isEmpty());
        LoraConfig all = new LoraConfig(2, 4, 0.05, false, false, List.of(LoraConfig.ALL_LINEAR));
        assertEquals(all, PeftAllLinear.resolve(FamilyGoldenTest.load(NAME, false), all), "gpt_oss: not converted by PEFT");
    }

    /** From config: sinks and router bias ~ N(0, 0.02), expert biases 0, no meta tensor left. */
    @Test
    void fromConfigInitializesAsTransformers() throws Exception {
        DecoderConfig c = ((ModelConfig.Decoder) Architectures.readConfig(FamilyGoldenTest.fixture(NAME))).config();
        CausalLm model = DecoderInit.initialize(Architectures.newCausalLm(c, null), 0.02, new Generator(3));
        Map<String, Parameter> p = model.namedParameters();
        for (Parameter q : p.values()) assertFalse(q.value().isMeta());
        double[] sinks = p.get("model.layers.0.self_attn.sinks").value().toDoubleArray();
        assertTrue(sinks[0] != 0 && Math.abs(sinks[0]) < 0.2, "sinks ~ N(0, 0.02): " + sinks[0]);
        assertTrue(p.get("model.layers.1.mlp.router.bias").value().toDoubleArray()[2] != 0);
        for (double v : p.get("model.layers.1.mlp.experts.down_proj_bias").value().toDoubleArray()) assertEquals(0.0, v);
    }
}
