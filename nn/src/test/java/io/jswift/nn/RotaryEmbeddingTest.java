package io.jswift.nn;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jswift.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.InputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * cos/sin tables against transformers' LlamaRotaryEmbedding (tools/fixtures/rope_fixtures.py) and, for YaRN, its
 * DeepseekV3RotaryEmbedding (tools/fixtures/yarn_rope_fixtures.py).
 */
class RotaryEmbeddingTest {
    @ParameterizedTest
    @ValueSource(strings = {"default", "qwen_theta", "linear", "llama3"})
    void tablesMatchTransformers(String name) throws Exception {
        JsonNode f;
        try (InputStream in = getClass().getResourceAsStream("/rope/" + name + ".json")) {
            f = new ObjectMapper().readTree(in);
        }
        JsonNode sc = f.get("scaling");
        int dim = f.get("head_dim").asInt();
        RopeScaling scaling = sc.isNull() ? RopeScaling.NONE : new RopeScaling(sc.get("rope_type").asText(),
                sc.get("factor").asDouble(), sc.path("low_freq_factor").asDouble(), sc.path("high_freq_factor").asDouble(),
                sc.path("original_max_position_embeddings").asInt());
        assertTablesMatch(f, new RotaryEmbedding(dim, f.get("theta").asDouble(), scaling), dim, name);
    }

    /**
     * YaRN with DeepSeek-V3's and DeepSeek-V2's rope parameters (mscale = mscale_all_dim: attention factor 1) and a plain
     * one (factor 4, no truncation: attention factor 0.1·ln 4 + 1).
     */
    @ParameterizedTest
    @ValueSource(strings = {"yarn_deepseek_v3", "yarn_deepseek_v2", "yarn_plain"})
    void yarnTablesMatchTransformers(String name) throws Exception {
        JsonNode f = read(name);
        JsonNode r = f.get("rope");
        double factor = r.get("factor").asDouble();
        double attention = Yarn.defaultAttentionFactor(factor, r.path("mscale").asDouble(0), r.path("mscale_all_dim").asDouble(0));
        assertEquals(f.get("attention_scaling").asDouble(), attention, 1e-12, name + " attention factor");
        Yarn yarn = new Yarn(factor, r.get("original_max_position_embeddings").asInt(), r.path("beta_fast").asDouble(32), r.path("beta_slow").asDouble(1),
                attention, r.path("truncate").asBoolean(true));
        int dim = f.get("rope_dim").asInt();
        assertTablesMatch(f, new RotaryEmbedding(dim, r.get("rope_theta").asDouble(), yarn), dim, name);
    }

    @Test
    void mscaleIsDeepseeks() {
        assertEquals(1.0, Yarn.mscale(1, 0.707));
        assertEquals(0.1 * 0.707 * Math.log(40) + 1, Yarn.mscale(40, 0.707), 1e-15);
        assertEquals(Yarn.mscale(40, 1) / Yarn.mscale(40, 0.8), Yarn.defaultAttentionFactor(40, 1, 0.8), 1e-15);
    }

    private static JsonNode read(String name) throws Exception {
        try (InputStream in = RotaryEmbeddingTest.class.getResourceAsStream("/rope/" + name + ".json")) {
            return new ObjectMapper().readTree(in);
        }
    }

    private static void assertTablesMatch(JsonNode f, RotaryEmbedding rope, int dim, String name) {
        JsonNode positions = f.get("positions");
        long[] pos = new long[positions.size()];
        for (int i = 0; i < pos.length; i++) pos[i] = positions.get(i).asLong();
        RotaryEmbedding.Tables t = rope.forPositionIds(Tensor.ofLongs(pos, 1, pos.length));
        for (int p = 0; p < pos.length; p++) {
            for (int d = 0; d < dim; d++) {
                // float32 cos of the same float32 angle: equal up to the last bits of the libm result
                assertEquals(f.get("cos").get(p).get(d).asDouble(), t.cos().getDouble(0, p, d), 2e-6, name + " cos pos " + pos[p] + " dim " + d);
                assertEquals(f.get("sin").get(p).get(d).asDouble(), t.sin().getDouble(0, p, d), 2e-6, name + " sin pos " + pos[p] + " dim " + d);
            }
        }
    }
}
