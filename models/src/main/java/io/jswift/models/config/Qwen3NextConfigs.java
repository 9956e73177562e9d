package io.jswift.models.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jswift.models.config.LlamaFlowConfigs.Delta;

import java.util.ArrayList;
import java.util.List;

/**
 * config.json of Qwen3NextForCausalLM (transformers' Qwen3NextConfig): Qwen3-MoE's experts with Qwen2-MoE's gated shared
 * expert (norm_topk_prob defaults to true), every norm zero-centred ((1 + w): input, post-attention, final and q/k norms),
 * and two token mixers chosen per layer by layer_types (default: every full_attention_interval-th layer, 4, is
 * full_attention, the others linear_attention): gated full attention (q_proj also yields a sigmoid output gate; per-head
 * q/k norms; partial rotary, factor 0.25 by default) or the Gated DeltaNet ({@link GatedDeltaNetConfig}).
 */
public final class Qwen3NextConfigs {
    private Qwen3NextConfigs() {}

    public static DecoderConfig qwen3Next(ConfigJson json) {
        ConfigJson c = json;
        if (!json.has("head_dim")) { // Qwen3NextConfig.head_dim defaults to 256, not hidden_size / num_attention_heads
            ObjectNode root = ((ObjectNode) json.root()).deepCopy();
            root.put("head_dim", 256);
            c = ConfigJson.of(json.file(), root);
        }
        return parse(c);
    }

    private static DecoderConfig parse(ConfigJson c) {
        Delta attention = Delta.llama(c.optBool("attention_bias", false)).qkNorm(QkNorm.PER_HEAD)
                .norms(eps -> new NormConfig(eps, true, "input_layernorm", null, "post_attention_layernorm", null));
        DecoderConfig d = LlamaFlowConfigs.decoder(c, attention, layers -> MoeConfigs.qwenMoe(c, layers, c.optInt("num_experts", 512), 10, 512,
                new MoeConfig.SharedExpert("shared_expert", c.optInt("shared_expert_intermediate_size", 512), true), true));
        RopeConfig rope = d.rope();
        ConfigJson params = c.optObject("rope_parameters");
        if (!c.has("partial_rotary_factor") && (params == null || !params.has("partial_rotary_factor"))) {
            rope = rope.with(0.25, false); // Qwen3NextConfig.__post_init__'s default
        }
        try {
            rope.rotaryDim(d.attention().headDim());
            GatedDeltaNetConfig linear = new GatedDeltaNetConfig(c.optInt("linear_num_key_heads", 16), c.optInt("linear_num_value_heads", 32),
                    c.optInt("linear_key_head_dim", 128), c.optInt("linear_value_head_dim", 128), c.optInt("linear_conv_kernel_dim", 4),
                    linearLayers(c, d.numLayers()));
            return new DecoderConfig(d.architecture(), d.vocabSize(), d.hiddenSize(), d.numLayers(), d.attention().withOutputGate(), d.mlp(), d.moe(),
                    rope, d.norm(), d.scaling(), d.tieWordEmbeddings(), d.dtype(), d.bosTokenIds(), d.eosTokenIds(), d.padTokenId(), linear);
        } catch (IllegalArgumentException e) {
            if (e.getMessage().startsWith(c.file().toString())) throw e;
            throw new IllegalArgumentException(c.file() + ": " + e.getMessage(), e);
        }
    }

    /** layer_types (linear_attention / full_attention), else full attention on every full_attention_interval-th layer. */
    private static List<Boolean> linearLayers(ConfigJson c, int layers) {
        List<Boolean> out = new ArrayList<>();
        JsonNode types = c.root().get("layer_types");
        if (types != null && !types.isNull()) {
            if (!types.isArray() || types.size() != layers) {
                throw new IllegalArgumentException(c.file() + ": 'layer_types' must list one type per layer (" + layers + "), got " + types);
            }
            for (JsonNode t : types) {
                if (!t.asText().equals("linear_attention") && !t.asText().equals("full_attention")) {
                    throw new IllegalArgumentException(c.file() + ": 'layer_types' entries must be linear_attention or full_attention, got " + t);
                }
                out.add(t.asText().equals("linear_attention"));
            }
            return out;
        }
        int interval = c.optInt("full_attention_interval", 4);
        if (interval <= 0) throw new IllegalArgumentException(c.file() + ": 'full_attention_interval' must be > 0, got " + interval);
        for (int i = 0; i < layers; i++) out.add((i + 1) % interval != 0);
        return out;
    }
}
