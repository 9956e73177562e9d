package io.jswift.nn.lora;

import io.jswift.tensor.Device;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.BinaryOp;

import java.util.Arrays;

/**
 * One adapter's frozen tensors on one linear layer, as a serving batch uses them: A [R, I], B [O, R], the scaling s
 * and, for DoRA, the per-row factor g = m / ‖W + s·B·A‖ [O] (a constant once nothing trains, computed once here with
 * the same ops {@link LoraLinear} runs per forward, so the products agree bit for bit). g null: plain LoRA.
 */
public record LoraWeights(Tensor a, Tensor b, double scaling, Tensor doraFactor) {
    public LoraWeights {
        if (a.rank() != 2 || b.rank() != 2 || a.size(0) != b.size(1)) {
            throw new IllegalArgumentException("LoRA factors must be A [r, in] and B [out, r], got A " + Arrays.toString(a.shape())
                    + " and B " + Arrays.toString(b.shape()));
        }
        if (doraFactor != null && (doraFactor.rank() != 1 || doraFactor.size(0) != b.size(0))) {
            throw new IllegalArgumentException("the DoRA factor must be [out] = [" + b.size(0) + "], got " + Arrays.toString(doraFactor.shape()));
        }
    }

    /** The adapter of {@code layer} as it stands (unmerged); DoRA's factor from the layer's base weight. */
    public static LoraWeights of(LoraLinear layer) {
        if (layer.merged()) throw new IllegalStateException("the adapter is merged into its layer: unmerge it first");
        var p = layer.adapterParameters();
        Tensor a = p.get("lora_A.weight").value(), b = p.get("lora_B.weight").value();
        Tensor factor = null;
        if (p.containsKey("lora_magnitude_vector")) {
            Tensor norm = LoraOps.weightNorm(layer.base().denseWeight(), a, b, layer.scaling());
            Tensor m = p.get("lora_magnitude_vector").value();
            factor = m.backend().binary(BinaryOp.DIV, m, norm);
        }
        return new LoraWeights(a, b, layer.scaling(), factor);
    }

    public int inFeatures() { return a.size(1); }

    public int outFeatures() { return b.size(0); }

    public boolean dora() { return doraFactor != null; }

    LoraWeights to(Device device) {
        return new LoraWeights(a.to(device), b.to(device), scaling, doraFactor == null ? null : doraFactor.to(device));
    }
}
