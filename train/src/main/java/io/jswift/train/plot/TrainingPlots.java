package io.jswift.train.plot;

import java.awt.AWTError;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/**
 * ms-swift's {@code images/} folder of a run: one PNG per logged scalar of {@code logging.jsonl} (train_loss.png,
 * train_learning_rate.png, train_grad_norm.png, eval_loss.png, train_rewards_margins.png, ...; see {@link TrainingLog}
 * and {@link CurveChart}). ms-swift draws them from TensorBoard's event file at the end of training; jswift draws
 * them from logging.jsonl at every checkpoint save (the last save is the end of the run) and when a run stops on an
 * error, so a long run shows its curves while it trains and a failed one shows where it went wrong.
 *
 * <p>Plotting never stops training: {@link #write} does not throw; what went wrong comes back as warnings.
 */
public final class TrainingPlots {
    public static final String DIR = "images";
    public static final String LOG = "logging.jsonl";

    /** @param images the PNGs written, in log key order */
    public record Report(List<Path> images, List<String> warnings) {}

    private TrainingPlots() {}

    /** Draws {@code runDir/logging.jsonl} into {@code runDir/images/}, replacing the images of an earlier save. */
    public static Report write(Path runDir) {
        List<Path> images = new ArrayList<>();
        List<String> warnings = new ArrayList<>();
        Path log = runDir.resolve(LOG), dir = runDir.resolve(DIR);
        TrainingLog.Parsed parsed;
        try {
            parsed = TrainingLog.read(log);
        } catch (IOException e) {
            warnings.add("training plots not written: cannot read " + log + ": " + e);
            return new Report(images, warnings);
        }
        warnings.addAll(parsed.warnings());
        if (parsed.curves().isEmpty()) return new Report(images, warnings);
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            warnings.add("training plots not written: cannot create " + dir + ": " + e);
            return new Report(images, warnings);
        }
        try {
            for (Curve c : parsed.curves()) {
                Path image = dir.resolve(c.fileName());
                try {
                    writeAtomically(image, CurveChart.png(c));
                    images.add(image);
                } catch (IOException | RuntimeException e) {
                    warnings.add(image + " not written: " + e);
                }
            }
        } catch (LinkageError | AWTError | InternalError e) {
            // The JDK's font and imaging stack reports a machine without fontconfig, fonts or libfreetype this way
            // (UnsatisfiedLinkError, "Fontconfig head is null", ...): say so and keep training.
            warnings.add("training plots not written (the JVM's headless graphics are unusable here; install fontconfig and a font "
                    + "such as fonts-dejavu-core): " + e);
        }
        return new Report(images, warnings);
    }

    /** A reader never sees half an image: the PNG is written beside the target and renamed over it. */
    private static void writeAtomically(Path target, byte[] bytes) throws IOException {
        Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
        Files.write(tmp, bytes);
        try {
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
