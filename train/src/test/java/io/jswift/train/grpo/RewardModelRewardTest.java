package io.jswift.train.grpo;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jswift.tensor.Device;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * --reward_model against TRL 1.13's GRPOTrainer (golden files of tools/fixtures/grpo_rm_fixtures.py): for each prompt
 * + completion the text the reward model's own chat template renders, its token ids (no special tokens added) and the
 * score transformers gives it in one right-padded batch — for the merged *ForSequenceClassification checkpoint and for
 * the causal base with the PEFT SEQ_CLS adapter (--reward_adapters).
 */
class RewardModelRewardTest {
    static final Path DIR = Path.of("src/test/resources/grpo_rm").toAbsolutePath();

    @TempDir
    Path tmp;

    private static JsonNode expected() throws Exception {
        return new ObjectMapper().readTree(DIR.resolve("expected.json").toFile());
    }

    private static List<RewardFunction.Sample> samples(JsonNode rows) {
        List<RewardFunction.Sample> out = new ArrayList<>();
        for (JsonNode r : rows) {
            List<Map<String, Object>> messages = new ObjectMapper().convertValue(r.get("messages"), new TypeReference<>() {});
            out.add(new RewardFunction.Sample(messages, r.get("completion").asText(), new int[0], Map.of()));
        }
        return out;
    }

    private static void check(RewardModelReward rm, JsonNode rows) {
        List<RewardFunction.Sample> samples = samples(rows);
        for (int i = 0; i < samples.size(); i++) {
            JsonNode r = rows.get(i);
            assertEquals(r.get("text").asText(), rm.text(samples.get(i)), "rendered conversation of row " + i);
            int[] want = new ObjectMapper().convertValue(r.get("input_ids"), int[].class);
            assertArrayEquals(want, rm.inputIds(samples.get(i)), "input ids of row " + i);
        }
        double[] scores = rm.score(samples);
        for (int i = 0; i < scores.length; i++) assertEquals(rows.get(i).get("score").asDouble(), scores[i], 2e-4, "score of row " + i);
    }

    @Test
    void mergedRewardModelScoresAsTransformers() throws Exception {
        RewardModelReward rm = RewardModelReward.load(DIR.resolve("rm"), null, Device.CPU);
        assertEquals("rm", rm.name(), "named by its directory, as TRL names the column");
        check(rm, expected().get("rows"));
    }

    @Test
    void baseWithSeqClsAdapterScoresAsPeft() throws Exception {
        RewardModelReward rm = RewardModelReward.load(DIR.resolve("base"), DIR.resolve("adapter"), Device.CPU);
        check(rm, expected().get("rows"));
    }

    @Test
    void oneCompletionAloneScoresAsInTheBatch() throws Exception {
        RewardModelReward rm = RewardModelReward.load(DIR.resolve("rm"), null, Device.CPU);
        JsonNode rows = expected().get("rows");
        // the longest row pads every other in the batch; scored alone it must give the same
        double[] alone = rm.score(samples(rows).subList(1, 2));
        assertEquals(rows.get(1).get("score").asDouble(), alone[0], 2e-4);
    }

    @Test
    void clearErrors() throws Exception {
        var adapterAsModel = assertThrows(IllegalArgumentException.class, () -> RewardModelReward.load(DIR.resolve("adapter"), null, Device.CPU));
        assertTrue(adapterAsModel.getMessage().contains("--reward_adapters"), adapterAsModel.getMessage());
        var causal = assertThrows(IllegalArgumentException.class, () -> RewardModelReward.load(DIR.resolve("base"), null, Device.CPU));
        assertTrue(causal.getMessage().contains("is not a sequence classifier"), causal.getMessage());
        var notAdapter = assertThrows(IllegalArgumentException.class, () -> RewardModelReward.load(DIR.resolve("base"), DIR.resolve("rm"), Device.CPU));
        assertTrue(notAdapter.getMessage().contains("no adapter_config.json"), notAdapter.getMessage());
        Path noTokenizer = Files.createDirectories(tmp.resolve("bare"));
        Files.copy(DIR.resolve("rm/config.json"), noTokenizer.resolve("config.json"));
        var bare = assertThrows(IllegalArgumentException.class, () -> RewardModelReward.load(noTokenizer, null, Device.CPU));
        assertTrue(bare.getMessage().contains("no tokenizer.json"), bare.getMessage());
        var counts = assertThrows(IllegalArgumentException.class, () -> new RewardArgs(List.of("format"), null, List.of(), 0, 0, 0, 0, null, 3, -1, null, null,
                List.of(DIR.resolve("rm"), DIR.resolve("base")), List.of(DIR.resolve("adapter"))));
        assertTrue(counts.getMessage().contains("one adapter per reward model"), counts.getMessage());
        var weights = assertThrows(IllegalArgumentException.class, () -> new RewardArgs(List.of("format"), List.of(1.0), List.of(), 0, 0, 0, 0, null, 3, -1, null, null,
                List.of(DIR.resolve("rm")), List.of()));
        assertTrue(weights.getMessage().contains("1 --reward_model"), weights.getMessage());
    }

    @Test
    void rewardModelsScoreAfterTheFunctionsWithTheirWeights() throws Exception {
        RewardModelReward rm = RewardModelReward.load(DIR.resolve("rm"), null, Device.CPU);
        RewardArgs args = new RewardArgs(List.of("format"), List.of(0.5, 2.0), List.of(), -0.5, 0, 1, 0.5, null, 3, -1, null, null,
                List.of(DIR.resolve("rm")), List.of());
        RewardFunctions rf = RewardFunctions.load(args, 16, getClass().getClassLoader(), List.of(rm));
        assertEquals(List.of("format", "rm"), rf.names());
        assertArrayEquals(new double[] {0.5, 2.0}, rf.weights());
        assertThrows(IllegalArgumentException.class, () -> RewardFunctions.load(args, 16, getClass().getClassLoader()));
    }
}
