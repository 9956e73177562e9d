package io.jswift.train.grpo;

import com.fasterxml.jackson.databind.JsonNode;
import io.jswift.models.CausalLm;
import io.jswift.tensor.Tensor;
import io.jswift.train.run.Objective;
import io.jswift.train.run.TunedModel;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static io.jswift.train.grpo.GrpoGoldenCase.ints;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * GRPO on a real model against TRL 1.13 (tools/fixtures/grpo_fixtures.py, model level): the tiny Qwen2 with a PEFT
 * LoRA, fixed completions, per-token log-probs of logits / temperature for the policy and the adapter-disabled
 * reference, TRL's _compute_loss: loss, TRL's metrics and the gradient of every LoRA weight.
 */
class GrpoModelGoldenTest {
    static final Path DIR = Path.of("src/test/resources/grpo/model").toAbsolutePath();

    @ParameterizedTest
    @ValueSource(strings = {"grpo_token_beta", "dapo_sequence_beta", "bnpo_token_nobeta", "dr_grpo_token_old"})
    void lossMetricsAndLoraGradientsEqualTrl(String name) throws Exception {
        check(name, false);
    }

    /**
     * --ref_model pointing at the base model: a separate frozen copy (TunedModel.reference, the path rlhf dpo loads its
     * --ref_model with) gives TRL's reference, which for a PEFT policy is the model with its adapter disabled.
     */
    @ParameterizedTest
    @ValueSource(strings = {"grpo_token_beta", "dapo_sequence_beta"})
    void aRefModelAtTheBaseGivesTrlsReference(String name) throws Exception {
        check(name, true);
    }

    private void check(String name, boolean refModel) throws Exception {
        GrpoGoldenCase golden = GrpoGoldenCase.load(DIR.resolve(name));
        JsonNode c = golden.settings();
        CausalLm policy = golden.policy();
        Map<String, Tensor> expected = golden.expected();
        double beta = c.get("beta").asDouble();
        GrpoLoss loss = new GrpoLoss(GrpoLoss.Type.parse(c.get("loss_type").asText()), beta, c.get("epsilon").asDouble(), c.get("epsilon_high").asDouble(),
                GrpoLoss.parseSequenceLevel(c.get("importance_sampling_level").asText()), c.get("max_completion_length").asInt());
        GrpoObjective.Settings settings = new GrpoObjective.Settings(new int[]{2}, ids -> "", null, loss, Advantages.Scale.GROUP, 2, golden.sampling(), 0, false, null);
        GrpoObjective objective = refModel ? new GrpoObjective(policy, GrpoReference.frozen(TunedModel.reference(GrpoGoldenCase.BASE, policy)), settings)
                : new GrpoObjective(policy, settings);
        List<Rollout> rollouts = new ArrayList<>();
        JsonNode completions = c.get("completions");
        int tokens = 0;
        for (int i = 0; i < completions.size(); i++) {
            int[] prompt = ints(c.get("prompts").get(i / 2)), completion = ints(completions.get(i));
            rollouts.add(new Rollout(i / 2, prompt, completion, completion[completion.length - 1] == 2));
            tokens += completion.length;
        }
        objective.dapoTokens(tokens);
        double[] old = expected.containsKey("old_logps") ? unpad(expected.get("old_logps"), completions) : null;
        double[] adv = new double[completions.size()];
        for (int i = 0; i < adv.length; i++) adv[i] = c.get("advantages").get(i).asDouble();
        Objective.Step step = objective.step(rollouts, adv, old, 1);
        step.loss().backward();
        double want = expected.get("loss").item();
        assertEquals(want, step.loss().value().item(), 2e-5 * Math.max(1, Math.abs(want)), "loss");
        var metrics = c.get("metrics").properties();
        for (var e : metrics) {
            assertNotNull(step.metrics().get(e.getKey()), "jswift logs " + e.getKey());
            assertEquals(e.getValue().asDouble(), step.metrics().get(e.getKey()), 2e-5 * Math.max(1, Math.abs(e.getValue().asDouble())), e.getKey());
        }
        int checked = golden.assertLoraGradients();
        assertEquals(expected.keySet().stream().filter(k -> k.startsWith("grad.")).count(), checked, "every LoRA weight compared");
    }

    /** [B, T] right-padded → the completion tokens in order. */
    static double[] unpad(Tensor padded, JsonNode completions) {
        double[] all = padded.toDoubleArray();
        int t = padded.size(1);
        List<Double> out = new ArrayList<>();
        for (int i = 0; i < completions.size(); i++) for (int j = 0; j < completions.get(i).size(); j++) out.add(all[i * t + j]);
        return out.stream().mapToDouble(Double::doubleValue).toArray();
    }
}
