package io.jswift.nn.deltanet;

import io.jswift.tensor.Tensor;

/**
 * What a Gated DeltaNet layer carries from one call to the next in incremental decoding (transformers' conv_states and
 * recurrent_states of its cache): the last K-1 inputs of the conv1d [B, K-1, C] and the delta-rule state [B, H, Dk, Dv];
 * both null before the first call (zeros).
 */
public final class DeltaNetState {
    private Tensor convWindow, recurrent;

    /** Nothing seen yet (zeros). */
    public DeltaNetState() {}

    /**
     * A state carried in from elsewhere (the server's per-sequence slots): conv window [B, K-1, C] and delta-rule state
     * [B, H, Dk, Dv], read by the next call and replaced (never written in place) by its results.
     */
    public DeltaNetState(Tensor convWindow, Tensor recurrent) {
        this.convWindow = convWindow;
        this.recurrent = recurrent;
    }

    public Tensor convWindow() { return convWindow; }

    public Tensor recurrent() { return recurrent; }

    void update(Tensor convWindow, Tensor recurrent) {
        this.convWindow = convWindow;
        this.recurrent = recurrent;
    }
}
