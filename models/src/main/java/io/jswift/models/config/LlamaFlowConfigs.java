package io.jswift.models.config;

import com.fasterxml.jackson.databind.JsonNode;
import io.jswift.nn.Activation;
import io.jswift.tensor.DType;
import io.jswift.tensor.Tensor;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.DoubleFunction;
import java.util.function.IntFunction;
import java.util.function.IntPredicate;

/**
 * config.json parsers of the families whose data flow is Llama's, each a delta of Llama's (as transformers' modular
 * files): Qwen2 = q/k/v biases always, no o_proj bias; Qwen3 = per-head q/k RMSNorm before RoPE; Qwen2/Qwen3 slide on
 * the layers from {@code max_window_layers} on when {@code use_sliding_window}; Mistral slides on every layer when
 * {@code sliding_window} is set; OLMo 2 normalizes after attention and MLP and the whole q/k projections; GLM-4 has
 * sandwich norms, a fused gate_up_proj and partial interleaved rotary; Phi-3 fuses qkv_proj and gate_up_proj, slides on
 * every layer and may use LongRoPE; Gemma 2 adds Gemma's conventions and alternating sliding layers; Gemma 3 per-head
 * q/k norms and a rope per layer type.
 */
public final class LlamaFlowConfigs {
    private LlamaFlowConfigs() {}

    /**
     * What a family changes in Llama's layer; {@code sliding} maps the layer count to each layer's sliding flag;
     * {@code gemma}: Gemma's conventions (hidden_activation, query_pre_attn_scalar, soft-caps, sqrt(hidden) embedding scale).
     */
    record Delta(boolean qkvBias, boolean oProjBias, QkNorm qkNorm, int window, IntFunction<List<Boolean>> sliding,
                         DoubleFunction<NormConfig> norms, boolean fusedQkv, boolean fusedGateUp, boolean interleavedRope, boolean gemma) {
        static Delta llama(boolean bias) {
            return new Delta(bias, bias, QkNorm.NONE, 0, layers -> Collections.nCopies(layers, false), NormConfig::llama, false, false, false, false);
        }

        Delta biases(boolean qkv, boolean o) { return new Delta(qkv, o, qkNorm, window, sliding, norms, fusedQkv, fusedGateUp, interleavedRope, gemma); }

        Delta qkNorm(QkNorm n) { return new Delta(qkvBias, oProjBias, n, window, sliding, norms, fusedQkv, fusedGateUp, interleavedRope, gemma); }

        Delta windows(int w, IntFunction<List<Boolean>> s) {
            return new Delta(qkvBias, oProjBias, qkNorm, w, s, norms, fusedQkv, fusedGateUp, interleavedRope, gemma);
        }

        Delta norms(DoubleFunction<NormConfig> n) { return new Delta(qkvBias, oProjBias, qkNorm, window, sliding, n, fusedQkv, fusedGateUp, interleavedRope, gemma); }

        Delta fused(boolean qkv, boolean gateUp) { return new Delta(qkvBias, oProjBias, qkNorm, window, sliding, norms, qkv, gateUp, interleavedRope, gemma); }

        Delta interleaving() { return new Delta(qkvBias, oProjBias, qkNorm, window, sliding, norms, fusedQkv, fusedGateUp, true, gemma); }

        Delta gemmaConventions() {
            return new Delta(qkvBias, oProjBias, qkNorm, window, sliding,
                    eps -> new NormConfig(eps, true, "input_layernorm", "post_attention_layernorm", "pre_feedforward_layernorm", "post_feedforward_layernorm"),
                    fusedQkv, fusedGateUp, interleavedRope, true);
        }
    }

    public static DecoderConfig llama(ConfigJson c) {
        return decoder(c, Delta.llama(c.optBool("attention_bias", false)));
    }

    public static DecoderConfig qwen2(ConfigJson c) {
        int window = qwenWindow(c);
        return decoder(c, Delta.llama(false).biases(true, false).windows(window, layers -> qwenSlidingLayers(c, layers, window)));
    }

    public static DecoderConfig qwen3(ConfigJson c) {
        int window = qwenWindow(c);
        return decoder(c, Delta.llama(c.optBool("attention_bias", false)).qkNorm(QkNorm.PER_HEAD)
                .windows(window, layers -> qwenSlidingLayers(c, layers, window)));
    }

    /** MistralAttention passes config.sliding_window to every layer (layer_types is ignored, as transformers warns). */
    public static DecoderConfig mistral(ConfigJson c) {
        int window = c.has("sliding_window") ? positive(c, "sliding_window") : 0;
        return decoder(c, Delta.llama(false).windows(window, layers -> Collections.nCopies(layers, window > 0)));
    }

    /** HF Olmo2DecoderLayer: x + post_attention_layernorm(attn(x)), h + post_feedforward_layernorm(mlp(h)). */
    public static DecoderConfig olmo2(ConfigJson c) {
        return decoder(c, Delta.llama(c.optBool("attention_bias", false)).qkNorm(QkNorm.WHOLE)
                .norms(eps -> new NormConfig(eps, false, null, "post_attention_layernorm", null, "post_feedforward_layernorm")));
    }

    /** HF Glm4DecoderLayer: input → attn → post_self_attn; post_attention → mlp → post_mlp; o_proj never has a bias. */
    public static DecoderConfig glm4(ConfigJson c) {
        return decoder(c, Delta.llama(false).biases(c.optBool("attention_bias", true), false).fused(false, true).interleaving()
                .norms(eps -> new NormConfig(eps, false, "input_layernorm", "post_self_attn_layernorm", "post_attention_layernorm", "post_mlp_layernorm")));
    }

    /** HF Phi3: fused qkv_proj and gate_up_proj, no biases, config.sliding_window on every layer, LongRoPE. */
    public static DecoderConfig phi3(ConfigJson c) {
        int window = c.has("sliding_window") ? positive(c, "sliding_window") : 0;
        return decoder(c, Delta.llama(false).fused(true, true).windows(window, layers -> Collections.nCopies(layers, window > 0)));
    }

    /**
     * HF Gemma2: Gemma's conventions (sandwich (1 + w) norms, sqrt(hidden) embedding scale, query_pre_attn_scalar,
     * attention and final-logit soft-caps), sliding_window on the layers layer_types names (default: every other,
     * starting with the first).
     */
    public static DecoderConfig gemma2(ConfigJson c) {
        if (c.optBool("use_bidirectional_attention", false)) {
            throw new IllegalArgumentException(c.file() + ": use_bidirectional_attention (an encoder Gemma) is not supported: jswift runs causal LMs");
        }
        int window = c.has("sliding_window") ? positive(c, "sliding_window") : 0;
        boolean bias = c.optBool("attention_bias", false);
        return decoder(c, Delta.llama(bias).gemmaConventions().windows(window, layers -> slidingLayers(c, layers, window, i -> i % 2 == 0)));
    }

    /**
     * HF Gemma3ForCausalLM (text): Gemma's conventions, per-head q/k norms, layer_types (default: every
     * sliding_window_pattern-th layer full, the others sliding), rope per layer type.
     */
    public static DecoderConfig gemma3(ConfigJson c) {
        if (c.optBool("use_bidirectional_attention", false)) {
            throw new IllegalArgumentException(c.file() + ": use_bidirectional_attention (an encoder Gemma) is not supported: jswift runs causal LMs");
        }
        int window = c.has("sliding_window") ? positive(c, "sliding_window") : 0;
        int pattern = c.optInt("sliding_window_pattern", c.optInt("_sliding_window_pattern", 6));
        return decoder(c, Delta.llama(c.optBool("attention_bias", false)).gemmaConventions().qkNorm(QkNorm.PER_HEAD)
                .windows(window, layers -> slidingLayers(c, layers, window, i -> (i + 1) % pattern != 0)));
    }

    private static DecoderConfig decoder(ConfigJson c, Delta f) {
        return decoder(c, f, null);
    }

    /** {@code moe}: the sparse layers' experts for the layer count (a MoE family), or null (dense). */
    static DecoderConfig decoder(ConfigJson c, Delta f, IntFunction<MoeConfig> moe) {
        int hidden = c.requireInt("hidden_size");
        int heads = c.requireInt("num_attention_heads");
        int layers = c.requireInt("num_hidden_layers");
        if (hidden <= 0 || heads <= 0) throw new IllegalArgumentException(c.file() + ": hidden_size and num_attention_heads must be > 0");
        try {
            int headDim = c.optInt("head_dim", hidden / heads);
            // Gemma: scores scaled by query_pre_attn_scalar^-0.5 and soft-capped by attn_logit_softcapping (null: none)
            double scale = 1 / Math.sqrt(f.gemma() ? c.optDouble("query_pre_attn_scalar", headDim) : headDim);
            double softcap = f.gemma() ? c.optDouble("attn_logit_softcapping", 0) : 0;
            AttentionConfig attention = new AttentionConfig(heads, c.optInt("num_key_value_heads", heads), headDim,
                    f.qkvBias(), f.oProjBias(), f.qkNorm(), f.window(), f.sliding().apply(layers), f.fusedQkv(), scale, softcap);
            // Gemma configs name the MLP activation hidden_activation (hidden_act is an older, ignored key)
            Activation act = Activation.fromHf(f.gemma() ? c.optString("hidden_activation", c.optString("hidden_act", "gelu_pytorch_tanh"))
                    : c.optString("hidden_act", "silu"));
            DType dtype = ModelDType.parse(c);
            ScalingConfig scaling = f.gemma() ? new ScalingConfig(roundedTo(dtype, Math.sqrt(hidden)), c.optDouble("final_logit_softcapping", 0))
                    : ScalingConfig.NONE;
            RopeConfig rope = f.gemma() && f.qkNorm() == QkNorm.PER_HEAD ? RopeConfig.parsePerLayerType(c) // Gemma 3
                    : RopeConfig.parsePartial(c, f.interleavedRope());
            rope.rotaryDim(attention.headDim()); // checked here, with the file in the message
            return new DecoderConfig(architecture(c), c.requireInt("vocab_size"), hidden, layers, attention,
                    new MlpConfig(c.requireInt("intermediate_size"), act, c.optBool("mlp_bias", false), f.fusedGateUp()),
                    moe == null ? null : moe.apply(layers), rope, f.norms().apply(c.optDouble("rms_norm_eps", 1e-6)), scaling,
                    c.optBool("tie_word_embeddings", f.gemma()), dtype,
                    c.optIntList("bos_token_id"), c.optIntList("eos_token_id"), c.has("pad_token_id") ? c.requireInt("pad_token_id") : null);
        } catch (IllegalArgumentException e) {
            if (e.getMessage().startsWith(c.file().toString())) throw e;
            throw new IllegalArgumentException(c.file() + ": " + e.getMessage(), e);
        }
    }

    /** {@code x} as a scalar tensor of the checkpoint dtype holds it (transformers: torch.tensor(x).to(weight.dtype)). */
    private static double roundedTo(DType dtype, double x) {
        return Tensor.of(new float[]{(float) x}, 1).to(dtype).to(DType.F32).toDoubleArray()[0];
    }

    private static String architecture(ConfigJson c) { return c.root().path("architectures").path(0).asText(); }

    /** transformers' Qwen2/Qwen3 config: sliding_window counts only with use_sliding_window. */
    static int qwenWindow(ConfigJson c) {
        return c.optBool("use_sliding_window", false) && c.has("sliding_window") ? positive(c, "sliding_window") : 0;
    }

    /** layer_types when given, else sliding from max_window_layers on (when there is a window). */
    private static List<Boolean> qwenSlidingLayers(ConfigJson c, int layers, int window) {
        int firstSliding = c.optInt("max_window_layers", 28);
        return slidingLayers(c, layers, window, i -> i >= firstSliding);
    }

    /** layer_types when given, else the family's default pattern; no layer slides without a window. */
    static List<Boolean> slidingLayers(ConfigJson c, int layers, int window, IntPredicate byDefault) {
        List<Boolean> out = new ArrayList<>();
        JsonNode types = c.root().get("layer_types");
        if (types != null && !types.isNull()) {
            if (!types.isArray() || types.size() != layers) {
                throw new IllegalArgumentException(c.file() + ": 'layer_types' must list one type per layer (" + layers + "), got " + types);
            }
            for (JsonNode t : types) {
                String type = t.asText();
                if (!type.equals("full_attention") && !type.equals("sliding_attention")) {
                    throw new IllegalArgumentException(c.file() + ": 'layer_types' entries must be full_attention or sliding_attention, got " + t);
                }
                out.add(window > 0 && type.equals("sliding_attention"));
            }
            return out;
        }
        for (int i = 0; i < layers; i++) out.add(window > 0 && byDefault.test(i));
        return out;
    }

    static int positive(ConfigJson c, String key) {
        int v = c.requireInt(key);
        if (v <= 0) throw new IllegalArgumentException(c.file() + ": '" + key + "' must be > 0, got " + v);
        return v;
    }
}
