package io.jswift.models.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.Iterator;
import java.util.Map;

/**
 * Qwen2VLConfig / Qwen2_5_VLConfig: the language model (a Qwen2 decoder whose RoPE is M-RoPE: {@code mropeSection}
 * splits the rotary half-dims between temporal, height and width positions), the vision tower and the special token
 * ids. Both config.json layouts parse: transformers 5's nested {@code text_config}, and the hub's flat one (text
 * settings at the top, {@code rope_scaling: {"type": "mrope", "mrope_section": [...]}}).
 */
public record Qwen2VlConfig(DecoderConfig text, Qwen2VlVisionConfig vision, int[] mropeSection,
                            int imageTokenId, int videoTokenId, int visionStartTokenId, int visionEndTokenId) {
    public Qwen2VlConfig {
        mropeSection = mropeSection.clone();
        int half = text.rope().rotaryDim(text.attention().headDim()) / 2, sum = 0;
        for (int s : mropeSection) sum += s;
        if (mropeSection.length != 3 || sum != half) {
            throw new IllegalArgumentException("mrope_section must be 3 numbers summing to head_dim / 2 = " + half + ", got "
                    + java.util.Arrays.toString(mropeSection));
        }
        if (vision.outDim() != text.hiddenSize()) {
            throw new IllegalArgumentException("the vision merger's output (" + vision.outDim() + ") must equal the LLM's hidden_size (" + text.hiddenSize() + ")");
        }
    }

    public static Qwen2VlConfig parseQwen2(ConfigJson c) { return parse(c, false); }

    public static Qwen2VlConfig parseQwen25(ConfigJson c) { return parse(c, true); }

    private static Qwen2VlConfig parse(ConfigJson c, boolean v25) {
        ObjectNode merged = textNode(c);
        JsonNode rope = merged.has("rope_parameters") ? merged.get("rope_parameters") : merged.get("rope_scaling");
        if (rope == null || !rope.isObject() || !rope.has("mrope_section")) {
            throw new IllegalArgumentException(c.file() + ": missing 'mrope_section' (in rope_parameters or rope_scaling)");
        }
        int[] section = ConfigJson.of(c.file(), rope).optIntList("mrope_section");
        // transformers (Qwen2VLTextConfig) reads rope type "mrope" as the default rotation, the sections applied on top
        if (rope.path("type").asText("").equals("mrope") || rope.path("rope_type").asText("").equals("mrope")) {
            ObjectNode plain = ((ObjectNode) rope).deepCopy();
            plain.remove("type");
            plain.put("rope_type", "default");
            merged.set(merged.has("rope_parameters") ? "rope_parameters" : "rope_scaling", plain);
        }
        DecoderConfig text = LlamaFlowConfigs.qwen2(ConfigJson.of(c.file(), merged));
        ConfigJson v = c.optObject("vision_config");
        if (v == null) throw new IllegalArgumentException(c.file() + ": missing key 'vision_config'");
        try {
            Qwen2VlVisionConfig vision = v25 ? Qwen2VlVisionConfig.parseQwen25(v) : Qwen2VlVisionConfig.parseQwen2(v);
            return new Qwen2VlConfig(text, vision, section, c.optInt("image_token_id", 151655), c.optInt("video_token_id", 151656),
                    c.optInt("vision_start_token_id", 151652), c.optInt("vision_end_token_id", 151653));
        } catch (IllegalArgumentException e) {
            if (e.getMessage().startsWith(c.file().toString())) throw e;
            throw new IllegalArgumentException(c.file() + ": " + e.getMessage(), e);
        }
    }

    /** The text settings: the top level overlaid by text_config when there is one (transformers 5). */
    private static ObjectNode textNode(ConfigJson c) {
        ObjectNode merged = ((ObjectNode) c.root()).deepCopy();
        merged.remove("vision_config");
        merged.remove("text_config");
        JsonNode nested = c.root().get("text_config");
        if (nested != null && nested.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = nested.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (!e.getKey().equals("architectures") && !e.getKey().equals("tie_word_embeddings")) merged.set(e.getKey(), e.getValue());
            }
        }
        return merged;
    }
}
