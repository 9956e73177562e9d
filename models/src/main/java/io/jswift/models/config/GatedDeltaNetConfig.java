package io.jswift.models.config;

import java.util.List;

/**
 * The Gated DeltaNet linear attention of Qwen3-Next's {@code linear_attention} layers (transformers'
 * Qwen3NextGatedDeltaNet): Hk {@code numKeyHeads} query/key heads of Dk {@code keyHeadDim}, Hv {@code numValueHeads}
 * value heads of Dv {@code valueHeadDim} (Hv a multiple of Hk: each key head serves Hv / Hk value heads), a depthwise
 * causal conv1d of {@code convKernel} taps over the q | k | v channels. {@code linearLayers}: per layer, linear
 * attention (true) or the decoder's full attention (false): HF {@code layer_types}.
 */
public record GatedDeltaNetConfig(int numKeyHeads, int numValueHeads, int keyHeadDim, int valueHeadDim, int convKernel, List<Boolean> linearLayers) {
    public GatedDeltaNetConfig {
        if (numKeyHeads <= 0 || numValueHeads <= 0 || keyHeadDim <= 0 || valueHeadDim <= 0 || convKernel <= 0) {
            throw new IllegalArgumentException("linear attention heads, head dims and linear_conv_kernel_dim must be > 0, got " + numKeyHeads + ", "
                    + numValueHeads + ", " + keyHeadDim + ", " + valueHeadDim + ", " + convKernel);
        }
        if (numValueHeads % numKeyHeads != 0) {
            throw new IllegalArgumentException("linear_num_value_heads (" + numValueHeads + ") must be a multiple of linear_num_key_heads (" + numKeyHeads + ")");
        }
        linearLayers = List.copyOf(linearLayers);
    }

    /** Channels the conv1d mixes: q and k (Hk·Dk each) then v (Hv·Dv). */
    public int convChannels() { return 2 * numKeyHeads * keyHeadDim + numValueHeads * valueHeadDim; }

    public boolean linear(int layer) { return linearLayers.get(layer); }
}
