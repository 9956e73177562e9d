package io.jswift.train.grpo;

import com.fasterxml.jackson.databind.JsonNode;
import io.jswift.models.CausalLm;
import io.jswift.models.generate.SamplingParams;
import io.jswift.tensor.Tensor;
import io.jswift.train.run.Objective;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

import static io.jswift.train.grpo.GrpoGoldenCase.ints;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A generation batch whose groups span micro-batches, against TRL 1.13 (tools/fixtures/grpo_split_fixtures.py): 3
 * prompts × 4 generations trained as 4 micro-batches of 3 completions (TRL accepts it: the generation batch of 12 is a
 * multiple of num_generations). Advantages over whole groups, the completions in the fixture's order cut into the
 * micro-batches, TRL's per-micro-batch losses and metrics and the accumulated LoRA gradients.
 */
class GrpoSplitGoldenTest {
    static final Path DIR = Path.of("src/test/resources/grpo/split").toAbsolutePath();

    @ParameterizedTest
    @ValueSource(strings = {"grpo_beta", "dapo_nobeta"})
    void groupsSpanningMicroBatchesGiveTrlsLossesAndGradients(String name) throws Exception {
        GrpoGoldenCase golden = GrpoGoldenCase.load(DIR.resolve(name));
        JsonNode c = golden.settings();
        CausalLm policy = golden.policy();
        Map<String, Tensor> expected = golden.expected();
        int g = c.get("num_generations").asInt(), micro = c.get("per_device_train_batch_size").asInt(), accumulation = c.get("gradient_accumulation_steps").asInt();
        GrpoLoss loss = new GrpoLoss(GrpoLoss.Type.parse(c.get("loss_type").asText()), c.get("beta").asDouble(), c.get("epsilon").asDouble(),
                c.get("epsilon_high").asDouble(), false, c.get("max_completion_length").asInt());
        GrpoObjective objective = new GrpoObjective(policy, new GrpoObjective.Settings(new int[]{2}, ids -> "", null, loss, Advantages.Scale.GROUP, g,
                golden.sampling(), 0, false, null));
        assertEquals(micro * accumulation / g, objective.examplesPerStep(micro, accumulation), "a step draws the generation batch's prompts");

        List<GrpoPrompt> prompts = new ArrayList<>();
        for (JsonNode p : c.get("prompts")) prompts.add(new GrpoPrompt(List.of(Map.of("role", "user", "content", "x")), ints(p), Map.of()));
        List<Rollout> rollouts = new ArrayList<>();
        List<String> texts = new ArrayList<>();
        double[] rewards = new double[c.get("completions").size()];
        for (int i = 0; i < rewards.length; i++) {
            int[] completion = ints(c.get("completions").get(i));
            rollouts.add(new Rollout(i / g, prompts.get(i / g).promptIds(), completion, completion[completion.length - 1] == 2));
            texts.add("");
            rewards[i] = c.get("rewards").get(i).asDouble();
        }
        GenerationBatch batch = new GenerationBatch(prompts, rollouts, texts, new double[0][], rewards);
        objective.prepare(batch, 0, accumulation, ints(c.get("order")), Map.of());

        double[] want = expected.get("losses").toDoubleArray();
        List<List<GrpoPrompt>> drawn = Collections.nCopies(accumulation, List.of());
        for (int m = 0; m < accumulation; m++) {
            Objective.Step step = objective.forward(drawn.get(m), loss.type() == GrpoLoss.Type.DAPO ? 1 : accumulation);
            step.loss().backward();
            assertEquals(want[m], step.loss().value().item(), 2e-5 * Math.max(1, Math.abs(want[m])), "micro-batch " + m + " loss");
            for (var e : c.get("metrics").get(m).properties()) { // TRL's kl, entropy (of softmax(logits / T)) and clip ratios
                Double got = step.metrics().get(e.getKey());
                assertNotNull(got, "jswift logs " + e.getKey());
                assertEquals(e.getValue().asDouble(), got, 2e-5 * Math.max(1, Math.abs(e.getValue().asDouble())), "micro-batch " + m + " " + e.getKey());
            }
        }
        int checked = golden.assertLoraGradients();
        assertTrue(checked > 0);
    }

    @Test
    void aGenerationBatchOfPartialGroupsIsRefusedNamingBothFlags() {
        SamplingParams sampling = new SamplingParams(8, 1, 0, 1, 1, 0, List.of());
        GrpoLoss loss = new GrpoLoss(GrpoLoss.Type.GRPO, 0, 0.2, 0.2, false, 8);
        GrpoObjective objective = new GrpoObjective(null, null, new GrpoObjective.Settings(new int[]{2}, ids -> "", null, loss, Advantages.Scale.GROUP, 4,
                sampling, 0, false, null));
        // TRL: generation_batch_size (3 x 2 = 6) must be divisible by num_generations (4)
        String message = assertThrows(IllegalArgumentException.class, () -> objective.examplesPerStep(3, 2)).getMessage();
        assertTrue(message.contains("--per_device_train_batch_size 3") && message.contains("--gradient_accumulation_steps 2")
                && message.contains("--num_generations 4"), message);
        assertEquals(3, objective.examplesPerStep(3, 4));
        assertEquals(2, objective.examplesPerStep(4, 2));
    }
}
