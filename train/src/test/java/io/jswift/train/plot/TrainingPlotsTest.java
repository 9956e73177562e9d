package io.jswift.train.plot;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYSeries;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TrainingPlotsTest {
    @TempDir
    Path dir;

    private Path run(String log) throws Exception {
        Path run = Files.createTempDirectory(dir, "v0-");
        Files.writeString(run.resolve("logging.jsonl"), log);
        return run;
    }

    private static final String DPO_LOG = """
            {"step": 1, "loss": 0.69, "lr": 1e-4, "grad_norm": 3.0, "rewards/margins": 0.0, "rewards/accuracies": 0.0, "epoch": 0.5}
            {"step": 2, "loss": 0.61, "lr": 2e-4, "grad_norm": 2.5, "rewards/margins": 0.2, "rewards/accuracies": 0.5, "epoch": 1.0}
            {"step": 2, "eval_loss": 0.65, "eval_rewards/margins": 0.1, "epoch": 1.0}
            {"step": 3, "loss": 0.52, "lr": 1e-4, "grad_norm": 2.0, "rewards/margins": 0.5, "rewards/accuracies": 1.0, "epoch": 1.5}
            """;

    @Test
    void onePngPerLoggedScalarUnderMsSwiftsNames() throws Exception {
        Path run = run(DPO_LOG);
        TrainingPlots.Report r = TrainingPlots.write(run);
        assertEquals(List.of(), r.warnings());
        List<String> names = r.images().stream().map(p -> p.getFileName().toString()).toList();
        assertEquals(List.of("train_loss.png", "train_learning_rate.png", "train_grad_norm.png", "train_rewards_margins.png",
                "train_rewards_accuracies.png", "train_epoch.png", "eval_loss.png", "eval_rewards_margins.png"), names);
        for (Path image : r.images()) {
            assertEquals(run.resolve("images"), image.getParent());
            BufferedImage png = ImageIO.read(image.toFile());
            assertEquals(CurveChart.WIDTH, png.getWidth(), image.toString());
            assertEquals(CurveChart.HEIGHT, png.getHeight(), image.toString());
        }
        try (var s = Files.list(run.resolve("images"))) {
            assertFalse(s.anyMatch(p -> p.toString().endsWith(".tmp")), "no temporary files are left");
        }
    }

    @Test
    void redrawingTheSameLogGivesTheSameBytes() throws Exception {
        Path run = run(DPO_LOG);
        TrainingPlots.write(run);
        byte[] first = Files.readAllBytes(run.resolve("images/train_loss.png"));
        TrainingPlots.write(run);
        assertArrayEquals(first, Files.readAllBytes(run.resolve("images/train_loss.png")));
    }

    @Test
    void theLossIsDrawnRawAndSmoothedOtherCurvesRaw() throws Exception {
        Curve loss = new Curve("train/loss", new double[] {1, 2, 3}, new double[] {0.69, 0.61, 0.52});
        XYChart chart = CurveChart.of(loss);
        assertEquals(Set.of("original", "smoothed"), chart.getSeriesMap().keySet());
        assertArrayEquals(loss.steps(), chart.getSeriesMap().get("original").getXData());
        assertArrayEquals(loss.values(), chart.getSeriesMap().get("original").getYData());
        assertArrayEquals(Smoothing.tensorboard(loss.values(), 0.9), chart.getSeriesMap().get("smoothed").getYData());
        assertEquals(CurveChart.RAW, chart.getSeriesMap().get("original").getLineColor());
        assertEquals(CurveChart.STRONG, chart.getSeriesMap().get("smoothed").getLineColor());

        Curve norm = new Curve("train/grad_norm", new double[] {1, 2}, new double[] {3, 2.5});
        chart = CurveChart.of(norm);
        assertEquals(Set.of("original"), chart.getSeriesMap().keySet());
        assertArrayEquals(norm.values(), chart.getSeriesMap().get("original").getYData());

        chart = CurveChart.of(new Curve("eval/loss", new double[] {2}, new double[] {0.65}));
        assertEquals(XYSeries.XYSeriesRenderStyle.Scatter, chart.getSeriesMap().get("original").getXYSeriesRenderStyle(), "one point is a dot");
    }

    @Test
    void problemsAreWarningsNotExceptions() throws Exception {
        Path run = run("""
                {"step": 1, "loss": 0.69}
                {"step": 2, "loss":
                {"step": 3, "loss": 0.5}
                """);
        TrainingPlots.Report r = TrainingPlots.write(run);
        assertEquals(List.of(run.resolve("images/train_loss.png")), r.images());
        assertEquals(1, r.warnings().size());
        assertTrue(r.warnings().get(0).startsWith(run.resolve("logging.jsonl") + ":2: not JSON"), r.warnings().get(0));

        Path empty = Files.createDirectories(dir.resolve("no-log"));
        r = TrainingPlots.write(empty);
        assertEquals(List.of(), r.images());
        assertTrue(r.warnings().get(0).contains("cannot read " + empty.resolve("logging.jsonl")), r.warnings().toString());

        Path blocked = run("{\"step\": 1, \"loss\": 0.69}\n");
        Files.writeString(blocked.resolve("images"), "a file where the folder should be");
        r = TrainingPlots.write(blocked);
        assertEquals(List.of(), r.images());
        assertEquals(1, r.warnings().size(), r.warnings().toString());
        assertTrue(r.warnings().get(0).startsWith("training plots not written: cannot create " + blocked.resolve("images")), r.warnings().get(0));
    }
}
