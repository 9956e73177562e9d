package io.jswift.train.plot;

/**
 * One logged scalar over the steps of a run, named by its TensorBoard tag as transformers' TensorBoardCallback
 * writes it ({@code train/loss}, {@code eval/loss}, {@code train/rewards/margins}, ...).
 *
 * @param steps  [n] the optimizer step of each point, in the order the log wrote them
 * @param values [n] the logged value at each point (finite)
 */
public record Curve(String tag, double[] steps, double[] values) {
    public Curve {
        if (steps.length != values.length) throw new IllegalArgumentException(tag + ": " + steps.length + " steps for " + values.length + " values");
    }

    /** ms-swift's image name: the tag with '/' and '.' replaced by '_', as a PNG ({@code train/loss} → {@code train_loss.png}). */
    public String fileName() {
        return tag.replace('/', '_').replace('.', '_') + ".png";
    }
}
