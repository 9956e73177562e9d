package io.jswift.nn;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jswift.tensor.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.InputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** cos/sin tables against transformers' LlamaRotaryEmbedding (tools/fixtures/rope_fixtures.py). */
class RotaryEmbeddingTest {
    @ParameterizedTest
    @ValueSource(strings = {"default", "qwen_theta", "linear", "llama3"})
    void tablesMatchTransformers(String name) throws Exception {
        JsonNode f;
        try (InputStream in = getClass().getResourceAsStream("/rope/" + name + ".json")) {
            f = new ObjectMapper().readTree(in);
        }
        JsonNode sc = f.get("scaling");
        RopeScaling scaling = sc.isNull() ? RopeScaling.NONE : new RopeScaling(sc.get("rope_type").asText(),
                sc.get("factor").asDouble(), sc.path("low_freq_factor").asDouble(), sc.path("high_freq_factor").asDouble(),
                sc.path("original_max_position_embeddings").asInt());
        int dim = f.get("head_dim").asInt();
        RotaryEmbedding rope = new RotaryEmbedding(dim, f.get("theta").asDouble(), scaling);
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
