package io.jswift.nn.lora;

import org.junit.jupiter.api.Test;

import java.util.List;

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
}
