package io.jswift.models.decoder;

import io.jswift.models.CausalLm;
import io.jswift.tensor.Tensor;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Greedy decoding as the cache tests run it (call inside a no-grad scope): a prompt alone with a dense batch-1 cache
 * (generate's path), the oracle; and ragged rows decoded together, one forward a step over a {@link BatchKvCache},
 * each step's tokens and logits checked against the rows alone.
 */
final class GreedyRuns {
    private GreedyRuns() {}

    /** A prompt decoded alone: logits[0] after the prefill, logits[s + 1] after step s; tokens[s] = argmax(logits[s]). */
    record Alone(float[][] logits, int[] tokens) {}

    static Alone alone(CausalLm m, int[] prompt, int steps) {
        KvCache c = m.newCache(1, prompt.length + steps + 1);
        float[][] logits = new float[steps + 1][];
        int[] tokens = new int[steps];
        logits[0] = last(m.forward(new DecoderInput(ids(prompt), null, null, c, false), 1).value(), 0);
        for (int s = 0; s < steps; s++) {
            tokens[s] = argmax(logits[s]);
            logits[s + 1] = last(m.forward(new DecoderInput(ids(new int[]{tokens[s]}), null, null, c, false), 1).value(), 0);
        }
        return new Alone(logits, tokens);
    }

    /**
     * {@code steps} batched decode steps over {@code batch}, whose rows are prefilled: row r feeds {@code next[r]} at
     * position {@code length[r]} (both advanced in place), which must be the token it chose alone, and its logits must be
     * those it had alone within {@code tol}.
     */
    static void decodeTogether(CausalLm m, BatchKvCache batch, List<Alone> alone, int[] next, int[] length, int steps, float tol) {
        for (int s = 0; s < steps; s++) {
            long[] tok = new long[next.length], pos = new long[next.length];
            for (int r = 0; r < next.length; r++) {
                assertEquals(alone.get(r).tokens()[s], next[r], "row " + r + " step " + s);
                tok[r] = next[r];
                pos[r] = length[r]++;
            }
            Tensor logits = m.forward(new DecoderInput(Tensor.ofLongs(tok, next.length, 1), Tensor.ofLongs(pos, next.length, 1), null, batch, false), 1).value();
            for (int r = 0; r < next.length; r++) {
                float[] row = last(logits, r);
                assertArrayEquals(alone.get(r).logits()[s + 1], row, tol, "row " + r + " step " + s);
                next[r] = argmax(row);
            }
        }
    }

    /** [1, n] token ids. */
    static Tensor ids(int[] p) {
        long[] x = new long[p.length];
        for (int i = 0; i < p.length; i++) x[i] = p[i];
        return Tensor.ofLongs(x, 1, p.length);
    }

    /** The logits of row {@code row}'s last position. */
    static float[] last(Tensor logits, int row) {
        return logits.select(0, row).select(0, logits.size(1) - 1).toFloatArray();
    }

    static int argmax(float[] x) {
        int best = 0;
        for (int i = 1; i < x.length; i++) if (x[i] > x[best]) best = i;
        return best;
    }
}
