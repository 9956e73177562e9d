package io.jswift.train.grpo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jswift.train.pref.VectorLoss;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The GRPO loss, its gradient with respect to every completion token's log-prob and the metrics TRL logs, against
 * TRL 1.13's GRPOTrainer._compute_loss on fixed completions (tools/fixtures/grpo_fixtures.py): 4 loss types × beta
 * 0 / 0.04 × num_iterations 1 / 2 × token / sequence importance sampling; advantages for each scale_rewards.
 */
class GrpoLossGoldenTest {
    static final Path DIR = Path.of("src/test/resources/grpo").toAbsolutePath();

    static double[] flat(JsonNode rows) {
        List<Double> out = new ArrayList<>();
        for (JsonNode r : rows) for (JsonNode v : r) out.add(v.asDouble());
        return out.stream().mapToDouble(Double::doubleValue).toArray();
    }

    static double[] vector(JsonNode v) {
        double[] out = new double[v.size()];
        for (int i = 0; i < out.length; i++) out[i] = v.get(i).asDouble();
        return out;
    }

    @Test
    void lossGradientAndMetricsEqualTrlForEveryCase() throws Exception {
        JsonNode data = new ObjectMapper().readTree(DIR.resolve("loss.json").toFile());
        JsonNode rows = data.get("logps");
        int[] offsets = new int[rows.size() + 1];
        for (int i = 0; i < rows.size(); i++) offsets[i + 1] = offsets[i] + rows.get(i).size();
        double[] logps = flat(rows), old = flat(data.get("old_logps")), ref = flat(data.get("ref_logps"));
        double[] adv = vector(data.get("advantages"));
        int clipped = 0;
        for (JsonNode c : data.get("cases")) {
            String name = c.get("loss_type").asText() + " beta " + c.get("beta").asDouble() + " it " + c.get("num_iterations").asInt() + " "
                    + c.get("importance_sampling_level").asText();
            double beta = c.get("beta").asDouble();
            GrpoLoss loss = new GrpoLoss(GrpoLoss.Type.parse(c.get("loss_type").asText()), beta, data.get("epsilon").asDouble(),
                    data.get("epsilon_high").asDouble(), GrpoLoss.parseSequenceLevel(c.get("importance_sampling_level").asText()),
                    data.get("max_completion_length").asInt());
            GrpoLoss.Batch batch = new GrpoLoss.Batch(offsets, c.get("num_iterations").asInt() > 1 ? old : null, beta > 0 ? ref : null, adv);
            VectorLoss.Value v = loss.evaluate(logps, batch, batch.tokens());
            assertEquals(c.get("loss").asDouble(), v.loss(), 1e-12, name);
            double[] grad = flat(c.get("grad"));
            for (int t = 0; t < grad.length; t++) assertEquals(grad[t], v.grad()[t], 1e-12, name + " token " + t);
            Map<String, Double> metrics = loss.metrics(logps, batch);
            var expected = c.get("metrics").properties();
            assertEquals(c.get("metrics").size(), metrics.size(), name + " " + metrics.keySet());
            // TRL takes the clip ratios of float32 masks (.float()): equal to float32 precision
            for (var e : expected) assertEquals(e.getValue().asDouble(), metrics.get(e.getKey()), 1e-7, name + " " + e.getKey());
            clipped += metrics.get("clip_ratio/region_mean") > 0 ? 1 : 0;
        }
        assertTrue(clipped >= 4, "the fixture exercises clipping (" + clipped + " cases)");
    }

    @Test
    void finiteDifferencesAgreeWithTheGradient() throws Exception {
        JsonNode data = new ObjectMapper().readTree(DIR.resolve("loss.json").toFile());
        JsonNode rows = data.get("logps");
        int[] offsets = new int[rows.size() + 1];
        for (int i = 0; i < rows.size(); i++) offsets[i + 1] = offsets[i] + rows.get(i).size();
        double[] logps = flat(rows);
        for (boolean seq : new boolean[]{false, true}) {
            GrpoLoss loss = new GrpoLoss(GrpoLoss.Type.DAPO, 0.04, 0.2, 0.28, seq, 8);
            GrpoLoss.Batch batch = new GrpoLoss.Batch(offsets, flat(data.get("old_logps")), flat(data.get("ref_logps")), vector(data.get("advantages")));
            double[] g = loss.evaluate(logps, batch, 20).grad();
            for (int t = 0; t < logps.length; t++) {
                double[] plus = logps.clone(), minus = logps.clone();
                plus[t] += 1e-6;
                minus[t] -= 1e-6;
                double fd = (loss.evaluate(plus, batch, 20).loss() - loss.evaluate(minus, batch, 20).loss()) / 2e-6;
                assertEquals(fd, g[t], 1e-7, "token " + t + (seq ? " sequence" : " token"));
            }
        }
    }

    @Test
    void advantagesEqualTrlForEachScaling() throws Exception {
        JsonNode data = new ObjectMapper().readTree(DIR.resolve("advantages.json").toFile());
        double[] rewards = vector(data.get("rewards"));
        for (String scale : List.of("group", "batch", "none")) {
            double[] expected = vector(data.get(scale)), actual = Advantages.of(rewards, data.get("num_generations").asInt(), Advantages.Scale.parse(scale));
            // trl's nanstd takes its Bessel factor count / (count - 1) of integer tensors in float32
            for (int i = 0; i < expected.length; i++) assertEquals(expected[i], actual[i], 1e-7, scale + " " + i);
        }
        assertEquals(Advantages.Scale.GROUP, Advantages.Scale.parse("true"));
        assertEquals(Advantages.Scale.NONE, Advantages.Scale.parse("false"));
        assertThrows(IllegalArgumentException.class, () -> Advantages.Scale.parse("mean"));
        assertThrows(IllegalArgumentException.class, () -> Advantages.of(rewards, 5, Advantages.Scale.GROUP));
        assertThrows(IllegalArgumentException.class, () -> GrpoLoss.Type.parse("sapo"));
    }
}
