package io.jswift.autograd.ops;

import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.Backend;
import io.jswift.tensor.spi.BinaryOp;
import io.jswift.tensor.spi.ReduceOp;

/**
 * What TRL's preference trainers log from the logits besides the log-probabilities, per row n of a
 * {@link Losses#linearLogProbs} call: the entropy of softmax(logits[n]) (TRL's entropy_from_logits), the mean
 * of logits[n] over the vocabulary (TRL's logits/chosen and logits/rejected average these over completion
 * tokens) and whether argmax(logits[n]) equals the target (mean_token_accuracy). Filled by the forward; values
 * only, no gradient.
 */
public final class TokenStats {
    private final double[] entropy, meanLogit;
    private final boolean[] argmaxHit;

    public TokenStats(int rows) {
        entropy = new double[rows];
        meanLogit = new double[rows];
        argmaxHit = new boolean[rows];
    }

    public double entropy(int row) { return entropy[row]; }

    public double meanLogit(int row) { return meanLogit[row]; }

    public boolean argmaxHit(int row) { return argmaxHit[row]; }

    public int rows() { return entropy.length; }

    /** Records every row from materialized logits [N, V] and their targets [N] (a head that is not chunked). */
    public void record(Tensor logits, Tensor targets, long ignoreIndex) {
        Backend be = logits.backend();
        accept(be, 0, logits, be.crossEntropy(logits, targets, ignoreIndex).logSumExp(), targets);
    }

    /** Records rows start.. of one chunk: logits [len, V], their log-sum-exp [len], targets [len]. */
    void accept(Backend be, int start, Tensor logits, Tensor logSumExp, Tensor targets) {
        int len = logits.size(0);
        if (start + len > rows()) throw new IllegalArgumentException("stats for " + rows() + " rows got rows up to " + (start + len));
        // entropy = lse - Σ p·z (p = softmax(z)); reduced on the device, only [len] vectors come back
        Tensor pz = be.binary(BinaryOp.MUL, be.softmax(logits), logits);
        double[] sumPz = be.reduce(ReduceOp.SUM, pz, new int[]{1}, false).toDoubleArray();
        double[] lse = logSumExp.toDoubleArray();
        double[] mean = be.reduce(ReduceOp.MEAN, logits, new int[]{1}, false).toDoubleArray();
        long[] argmax = be.argmax(logits, 1, false).toLongArray();
        long[] t = targets.toLongArray();
        for (int i = 0; i < len; i++) {
            entropy[start + i] = lse[i] - sumPz[i];
            meanLogit[start + i] = mean[i];
            argmaxHit[start + i] = argmax[i] == t[i];
        }
    }
}
