package io.jswift.train.pref;

import io.jswift.autograd.GradMode;
import io.jswift.models.CausalLm;
import io.jswift.models.load.LoadedModel;
import io.jswift.models.load.ModelLoader;
import io.jswift.train.encode.Batch;
import io.jswift.train.encode.Collator;
import io.jswift.train.encode.Encoded;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Completion log-probs equal log_softmax of the model's own logits (its forward) at every completion token, whether
 * the head runs chunked (plain head) or through its logits — Gemma 2's final soft-cap included, where h·Wᵀ alone would
 * be silently wrong.
 */
class CompletionLogProbsTest {
    static final Path MODELS = Path.of("../models/src/test/resources/models").toAbsolutePath().normalize();

    @ParameterizedTest
    @ValueSource(strings = {"qwen2-f32", "gemma2-f32"})
    void sumsAreLogSoftmaxOfTheForwardLogits(String name) throws Exception {
        check(name, 1.0, false);
    }

    /** GRPO's per-token log-probs: log_softmax(logits / T) of the model's final logits (TRL divides after the soft-cap). */
    @ParameterizedTest
    @ValueSource(strings = {"qwen2-f32", "gemma2-f32"})
    void perTokenIsLogSoftmaxOfTheForwardLogitsOverTemperature(String name) throws Exception {
        check(name, 0.7, true);
    }

    private static void check(String name, double temperature, boolean perToken) throws Exception {
        CausalLm model = ((LoadedModel.CausalLm) ModelLoader.load(MODELS.resolve(name), false)).model();
        int[] ids = {3, 17, 42, 8, 99, 5, 23}, labels = {-100, -100, -100, 8, 99, 5, 23};
        int[] ids2 = {7, 11, 13, 2, 31, 4, 6}, labels2 = {-100, -100, 13, 2, 31, -100, -100};
        Batch batch = Collator.collate(List.of(new Encoded(ids, labels), new Encoded(ids2, labels2)));
        try (var ignored = GradMode.noGrad()) {
            double[] got = perToken ? CompletionLogProbs.perToken(model, batch, false, temperature).value().toDoubleArray()
                    : CompletionLogProbs.of(model, batch, false, false).sums().value().toDoubleArray();
            float[] logits = model.forward(batch.decoderInput(false)).value().toFloatArray(); // [2, 7, V]
            int v = model.vocabSize(), t = ids.length;
            int[][] allIds = {ids, ids2}, allLabels = {labels, labels2};
            int token = 0;
            for (int r = 0; r < 2; r++) {
                double expected = 0;
                for (int j = 1; j < t; j++) {
                    if (allLabels[r][j] == -100) continue;
                    int base = (r * t + j - 1) * v; // position j - 1 predicts token j
                    double max = Double.NEGATIVE_INFINITY, sum = 0;
                    for (int k = 0; k < v; k++) max = Math.max(max, logits[base + k] / temperature);
                    for (int k = 0; k < v; k++) sum += Math.exp(logits[base + k] / temperature - max);
                    double logp = logits[base + allIds[r][j]] / temperature - max - Math.log(sum);
                    if (perToken) assertEquals(logp, got[token++], 1e-4 * Math.max(1, Math.abs(logp)), name + " row " + r + " position " + j);
                    expected += logp;
                }
                if (!perToken) assertEquals(expected, got[r], 1e-4 * Math.max(1, Math.abs(expected)), name + " row " + r);
            }
        }
    }
}
