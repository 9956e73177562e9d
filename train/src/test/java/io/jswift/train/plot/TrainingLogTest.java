package io.jswift.train.plot;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TrainingLogTest {
    @TempDir
    Path dir;

    private static Curve curve(TrainingLog.Parsed p, String tag) {
        return p.curves().stream().filter(c -> c.tag().equals(tag)).findFirst().orElseThrow(() -> new AssertionError(tag + " not in " + p.curves()));
    }

    @Test
    void tagsAreTensorBoardCallbacksRewrite() {
        assertEquals("train/loss", TrainingLog.tag("loss"));
        assertEquals("train/learning_rate", TrainingLog.tag("lr"));
        assertEquals("train/rewards/margins", TrainingLog.tag("rewards/margins"));
        assertEquals("eval/loss", TrainingLog.tag("eval_loss"));
        assertEquals("eval/rewards/accuracies", TrainingLog.tag("eval_rewards/accuracies"));
        assertEquals("test/loss", TrainingLog.tag("test_loss"));
        assertEquals("train_rewards_margins.png", new Curve("train/rewards/margins", new double[0], new double[0]).fileName());
        assertEquals("train_completions_mean_length.png", new Curve("train/completions.mean_length", new double[0], new double[0]).fileName());
    }

    @Test
    void everyNumericKeyBecomesACurveOverTheSteps() throws Exception {
        Path log = dir.resolve("logging.jsonl");
        Files.writeString(log, """
                {"step": 1, "loss": 2.5, "lr": 1e-4, "grad_norm": 3.0, "rewards/margins": 0.1, "epoch": 0.5}
                {"step": 2, "loss": 2.25, "lr": 2e-4, "grad_norm": 2.0, "rewards/margins": 0.3, "epoch": 1.0}
                {"step": 2, "eval_loss": 2.0, "eval_rewards/margins": 0.2, "epoch": 1.0}
                {"step": 3, "loss": "NaN", "lr": 1.5e-4, "grad_norm": 1.0, "rewards/margins": 0.4, "epoch": 1.5, "note": "x"}
                {"step": 4, "loss": NaN, "lr": 1e-4, "grad_norm": 1.0, "rewards/margins": 0.5, "epoch": 2.0}
                """);
        TrainingLog.Parsed p = TrainingLog.read(log);
        assertEquals(List.of(), p.warnings());
        assertEquals(List.of("train/loss", "train/learning_rate", "train/grad_norm", "train/rewards/margins", "train/epoch", "eval/loss",
                "eval/rewards/margins"), p.curves().stream().map(Curve::tag).toList());
        assertArrayEquals(new double[] {1, 2}, curve(p, "train/loss").steps(), "non-finite and non-numeric losses are left out");
        assertArrayEquals(new double[] {2.5, 2.25}, curve(p, "train/loss").values());
        assertArrayEquals(new double[] {1e-4, 2e-4, 1.5e-4, 1e-4}, curve(p, "train/learning_rate").values());
        assertArrayEquals(new double[] {1, 2, 3, 4}, curve(p, "train/learning_rate").steps());
        assertArrayEquals(new double[] {2}, curve(p, "eval/loss").steps());
        assertArrayEquals(new double[] {0.2}, curve(p, "eval/rewards/margins").values());
        // HF's Trainer adds epoch to evaluation logs as well, and TensorBoardCallback files it under train/epoch
        assertArrayEquals(new double[] {1, 2, 2, 3, 4}, curve(p, "train/epoch").steps());
    }

    @Test
    void badLinesAreSkippedWithFileAndLine() throws Exception {
        Path log = dir.resolve("logging.jsonl");
        Files.writeString(log, """
                {"step": 1, "loss": 2.5}
                {"step": 2, "loss": 2.

                [1, 2]
                {"loss": 1.0}
                {"step": "3", "loss": 1.0}
                {"step": 4, "loss": 1.5}
                """);
        TrainingLog.Parsed p = TrainingLog.read(log);
        assertEquals(4, p.warnings().size(), p.warnings().toString());
        assertTrue(p.warnings().get(0).startsWith(log + ":2: not JSON"), p.warnings().get(0));
        assertTrue(p.warnings().get(1).startsWith(log + ":4: not a JSON object"), p.warnings().get(1));
        assertTrue(p.warnings().get(2).startsWith(log + ":5: no numeric \"step\""), p.warnings().get(2));
        assertTrue(p.warnings().get(3).startsWith(log + ":6: no numeric \"step\""), p.warnings().get(3));
        assertArrayEquals(new double[] {1, 4}, curve(p, "train/loss").steps());
        assertArrayEquals(new double[] {2.5, 1.5}, curve(p, "train/loss").values());
    }

    @Test
    void manyBadLinesGiveFewWarnings() throws Exception {
        Path log = dir.resolve("logging.jsonl");
        Files.writeString(log, "garbage\n".repeat(TrainingLog.MAX_WARNINGS + 7));
        TrainingLog.Parsed p = TrainingLog.read(log);
        assertEquals(TrainingLog.MAX_WARNINGS + 1, p.warnings().size());
        assertEquals(log + ": 7 more bad lines left out of the plots", p.warnings().getLast());
        assertEquals(List.of(), p.curves());
    }
}
