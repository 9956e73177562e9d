package io.jswift.nn.lora;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LoraConfigTest {
    @Test
    void scalingIsAlphaOverRankOrOverItsRootWithRslora() {
        assertEquals(32.0 / 8, new LoraConfig(8, 32, 0, false, false, List.of("q_proj")).scaling(), 0);
        assertEquals(32.0 / Math.sqrt(8), new LoraConfig(8, 32, 0, true, false, List.of("q_proj")).scaling(), 1e-15);
        assertEquals(16.0 / 2, new LoraConfig(4, 16, 0, true, true, List.of("q_proj")).scaling(), 0);
    }

    @Test
    void targetNamesMatchWholePathOrLastSegmentsAsPeft() {
        LoraConfig c = new LoraConfig(4, 8, 0, false, false, List.of("q_proj", "mlp.down_proj", "model.layers.1.self_attn.o_proj"));
        assertTrue(c.targets("model.layers.0.self_attn.q_proj"));
        assertTrue(c.targets("q_proj"));
        assertTrue(c.targets("model.layers.3.mlp.down_proj"));
        assertTrue(c.targets("model.layers.1.self_attn.o_proj"));
        assertFalse(c.targets("model.layers.0.self_attn.o_proj"));
        assertFalse(c.targets("model.layers.0.self_attn.xq_proj"), "a suffix must start at a path segment");
        assertFalse(c.targets("model.layers.0.mlp.down_proj_extra"));
        assertFalse(c.allLinear());
        assertTrue(new LoraConfig(4, 8, 0, false, false, List.of("ALL-LINEAR")).allLinear());
    }

    @Test
    void invalidValuesAreRejectedWithTheFieldName() {
        assertMessage("rank r must be positive", () -> new LoraConfig(0, 8, 0, false, false, List.of("q_proj")));
        assertMessage("lora_alpha must be a positive number", () -> new LoraConfig(4, 0, 0, false, false, List.of("q_proj")));
        assertMessage("lora_alpha must be a positive number", () -> new LoraConfig(4, Double.NaN, 0, false, false, List.of("q_proj")));
        assertMessage("lora_dropout must be in [0, 1)", () -> new LoraConfig(4, 8, 1, false, false, List.of("q_proj")));
        assertMessage("lora_dropout must be in [0, 1)", () -> new LoraConfig(4, 8, -0.1, false, false, List.of("q_proj")));
        assertMessage("target_modules is empty", () -> new LoraConfig(4, 8, 0, false, false, List.of()));
        assertMessage("target_modules contains an empty name", () -> new LoraConfig(4, 8, 0, false, false, List.of("q_proj", " ")));
        assertMessage("all-linear cannot be combined", () -> new LoraConfig(4, 8, 0, false, false, List.of("all-linear", "q_proj")));
    }

    private static void assertMessage(String expected, org.junit.jupiter.api.function.Executable e) {
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, e);
        assertTrue(ex.getMessage().contains(expected), ex.getMessage());
    }

    /** PEFT's get_pattern_key: a pattern p names a key matching (.*\.)?(p) — the whole path or its last segments. */
    @Test
    void rankAndAlphaPatternsFollowPeftsRule() {
        LoraConfig c = new LoraConfig(2, 6, 0, false, false, List.of("q_proj"), List.of("gate_up_proj", "down_proj"),
                Map.of(".*\\.gate_up_proj", 4), Map.of(".*\\.gate_up_proj", 12.0));
        assertEquals(4, c.rankFor("model.layers.1.mlp.experts.gate_up_proj"));
        assertEquals(3.0, c.scalingFor("model.layers.1.mlp.experts.gate_up_proj"));
        assertEquals(2, c.rankFor("model.layers.1.mlp.experts.down_proj"));
        assertEquals(2, c.rankFor("gate_up_proj"), "'.*\\.gate_up_proj' needs a dot before the name");
        LoraConfig rs = new LoraConfig(2, 6, 0, true, false, List.of(), List.of("gate_up_proj"), Map.of("gate_up_proj", 8), Map.of());
        assertEquals(6 / Math.sqrt(8), rs.scalingFor("a.b.gate_up_proj"), 1e-12);
        assertTrue(rs.patternMatches("experts.gate_up_proj") && !rs.patternMatches("experts.gate_up_proj_bias"));
        assertThrows(IllegalArgumentException.class, () -> new LoraConfig(2, 6, 0, false, false, List.of(), List.of()));
    }
}
