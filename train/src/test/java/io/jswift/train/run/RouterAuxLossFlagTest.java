package io.jswift.train.run;

import io.jswift.models.CausalLm;
import io.jswift.models.load.LoadedModel;
import io.jswift.models.load.ModelLoader;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@code --router_aux_loss_coef} on a model whose transformers class computes no load-balancing loss (GLM-4.5,
 * DeepSeek-V2/V3) or that has no experts: no effect, as in ms-swift, but said in one warning line instead of silently;
 * the routers transformers does balance (Mixtral, Qwen MoE, GPT-OSS) and a coefficient of 0 say nothing.
 */
class RouterAuxLossFlagTest {
    private static final Path MODELS = Path.of("../models/src/test/resources/models").toAbsolutePath().normalize();

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "glm4-moe-f32 | 0.02 | --router_aux_loss_coef 0.02 has no effect on Glm4MoeForCausalLM: transformers computes no router load-balancing loss for it (its router balances through e_score_correction_bias or not at all)",
            "deepseek-v2-f32 | 0.5 | --router_aux_loss_coef 0.5 has no effect on DeepseekV2ForCausalLM: transformers computes no router load-balancing loss for it (its router balances through e_score_correction_bias or not at all)",
            "deepseek-v3-f32 | 0.02 | --router_aux_loss_coef 0.02 has no effect on DeepseekV3ForCausalLM: transformers computes no router load-balancing loss for it (its router balances through e_score_correction_bias or not at all)",
            "qwen2-f32 | 0.01 | --router_aux_loss_coef 0.01 has no effect on Qwen2ForCausalLM: it has no experts",
            "glm4-moe-f32 | 0 | ''",
            "mixtral-f32 | 0.02 | ''",
            "gpt-oss-f32 | 0.02 | ''"})
    void aCoefficientWithoutEffectIsOneWarningLine(String fixture, double coef, String expected) throws Exception {
        CausalLm model = ((LoadedModel.CausalLm) ModelLoader.load(MODELS.resolve(fixture), false)).model();
        List<String> warnings = new ArrayList<>();
        new CausalLmObjective(model, false, coef, warnings::add);
        assertEquals(expected.isEmpty() ? List.of() : List.of(expected), warnings);
    }
}
