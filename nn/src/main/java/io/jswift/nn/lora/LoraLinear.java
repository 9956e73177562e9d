package io.jswift.nn.lora;

import io.jswift.autograd.Variable;
import io.jswift.autograd.ops.Dropout;
import io.jswift.nn.DrawsRandom;
import io.jswift.nn.Linear;
import io.jswift.nn.LinearBase;
import io.jswift.nn.LinearLayer;
import io.jswift.nn.Module;
import io.jswift.nn.Parameter;
import io.jswift.tensor.DType;
import io.jswift.tensor.Device;
import io.jswift.tensor.Generator;
import io.jswift.tensor.Tensor;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A linear base layer ({@link LinearBase}: dense {@link Linear} or 4-bit) with a LoRA or DoRA adapter (PEFT's
 * {@code lora.Linear}, and its bnb {@code Linear4bit} twin): y = x·Wᵀ + b + s·B(A(dropout(x))), or DoRA's
 * magnitude-rescaled form (see {@link LoraOps#dora}). Dims: I = in, O = out, R = rank.
 *
 * <p>The wrapped layer's parameters are registered here under their own names ({@code weight}, {@code bias}, a
 * 4-bit layer's {@code weight.absmax}, ...), the same {@link Parameter} objects, frozen and never copied (a bf16
 * memory-mapped weight stays so), so the state dict keeps Hugging Face's names: {@code ...q_proj.weight},
 * {@code ...q_proj.lora_A.weight}, {@code ...q_proj.lora_B.weight}, {@code ...q_proj.lora_magnitude_vector} (DoRA).
 * Merging needs a dense base.
 */
public final class LoraLinear extends Module implements LinearLayer, DrawsRandom {
    private final LinearBase base;
    private final LoraConfig config;
    private final double scaling;
    private final Parameter weight;    // [O, I] frozen, shared with base (4-bit: the packed [O·I/2, 1] bytes)
    private final Parameter bias;      // [O] or null, shared with base
    private final Linear loraA;        // weight [R, I]
    private final Linear loraB;        // weight [O, R]
    private final Parameter magnitude; // [O] DoRA's m, null for plain LoRA
    private final Generator dropoutGenerator;
    private Tensor unmergedWeight;     // the base weight while merge() is in effect, else null
    private boolean disabled;          // inside an AdaptersDisabled scope: forward is the base layer alone

    /**
     * Wraps {@code base}: A is Kaiming-uniform (PEFT's kaiming_uniform_(a=√5), U(±1/√I)) from {@code gen}, B is zero,
     * so the adapter starts as a no-op; DoRA's m starts at ‖W‖ per row (= ‖W + s·B·A‖ with B = 0). Dropout masks
     * draw from {@code gen} too. A null {@code gen} leaves A unset (meta) for weights loaded afterwards.
     */
    public LoraLinear(LinearBase base, LoraConfig config, Generator gen) {
        if (config.dropout() > 0 && gen == null) {
            throw new IllegalArgumentException("lora_dropout " + config.dropout() + " needs a generator for its masks");
        }
        this.base = base;
        this.config = config;
        this.scaling = config.scaling();
        int in = base.inFeatures(), out = base.outFeatures(), r = config.r();
        base.baseParameters().forEach((name, p) -> {
            p.setRequiresGrad(false);
            registerDottedParameter(name, p);
        });
        this.weight = base.baseParameters().get("weight");
        this.bias = base.bias();
        this.loraA = registerModule("lora_A", new Linear(in, r, false, gen));
        this.loraB = registerModule("lora_B", new Linear(r, out, false, null));
        loraB.weight().setValue(Tensor.zeros(DType.F32, out, r));
        if (!weight.value().isMeta()) { // an adapter put on a model already on a device lives there too
            loraA.to(weight.device());
            loraB.to(weight.device());
        }
        if (config.useDora()) {
            this.magnitude = registerParameter("lora_magnitude_vector", new Parameter(weight.value().isMeta()
                    ? Tensor.meta(DType.F32, out) : LoraOps.rowNorm(base.denseWeight().to(DType.F32)), true));
        } else {
            this.magnitude = null;
        }
        this.dropoutGenerator = gen;
    }

    @Override
    public Variable forward(Variable x) {
        if (x.size(-1) != inFeatures()) {
            throw new IllegalArgumentException("LoraLinear(" + inFeatures() + " → " + outFeatures() + ") got input with last dim "
                    + x.size(-1) + " (shape " + Arrays.toString(x.shape()) + ")");
        }
        if (merged() || disabled) return base.forward(x);
        Variable b = bias == null ? null : bias.variable();
        Variable xDropped = isTraining() && config.dropout() > 0 ? Dropout.apply(x, config.dropout(), dropoutGenerator) : x;
        Variable a = loraA.weight().variable(), bMat = loraB.weight().variable();
        Variable projected = base.project(x);
        if (magnitude == null) return LoraOps.lora(projected, b, xDropped, a, bMat, scaling);
        Tensor norm = LoraOps.weightNorm(base.denseWeight(), a.value(), bMat.value(), scaling);
        Variable droppedProjected = xDropped == x ? null : base.project(xDropped);
        return LoraOps.dora(projected, droppedProjected, b, xDropped, a, bMat, magnitude.variable(), norm, scaling);
    }

    /** The base weight stashed by {@link #merge()} moves with the module. */
    @Override
    protected void moveBuffers(Device device) {
        if (unmergedWeight != null) unmergedWeight = unmergedWeight.to(device);
    }

    /** Folds the adapter into the weight (W ← merged, in W's dtype); forward then costs one plain linear. */
    public void merge() {
        if (merged()) throw new IllegalStateException("the adapter is already merged");
        denseBase();
        Tensor merged = mergedWeight();
        unmergedWeight = weight.value();
        weight.setValue(merged);
    }

    /** Restores the exact weight from before {@link #merge()} (kept, not recomputed by subtraction). */
    public void unmerge() {
        if (!merged()) throw new IllegalStateException("the adapter is not merged");
        weight.setValue(unmergedWeight);
        unmergedWeight = null;
    }

    public boolean merged() { return unmergedWeight != null; }

    /** Set by {@link AdaptersDisabled} only: the base layer alone answers forward (PEFT's disable_adapters). */
    void setDisabled(boolean disabled) {
        if (disabled && merged()) throw new IllegalStateException("cannot disable a merged adapter: unmerge it first");
        this.disabled = disabled;
    }

    public boolean disabled() { return disabled; }

    /**
     * The merged weight [O, I] in the base weight's dtype, computed in f32 and rounded once; fails when any
     * element is NaN or infinite (PEFT's safe_merge check).
     */
    public Tensor mergedWeight() {
        Tensor w = merged() ? unmergedWeight : base.denseWeight();
        Tensor m = LoraOps.mergedWeight(w, loraA.weight().value(), loraB.weight().value(),
                magnitude == null ? null : magnitude.value(), scaling);
        Tensor out = m.dtype() == w.dtype() ? m : m.to(w.dtype());
        if (!LoraOps.allFinite(out)) {
            throw new IllegalStateException("merging the adapter gives non-finite values (NaN or Inf) in a " + w.dtype()
                    + " weight " + Arrays.toString(w.shape()) + ": the adapter weights are broken or overflow " + w.dtype());
        }
        return out;
    }

    /**
     * The wrapped layer, now holding the merged weight (its parameters are this module's): what replaces this
     * module when the adapter is unloaded for export. This module stays merged.
     */
    public Linear mergedBase() {
        Linear dense = denseBase();
        if (!merged()) merge();
        return dense;
    }

    /** The wrapped layer with its original weight (unmerged first if needed): the adapter is dropped. */
    public Module unwrapped() {
        if (merged()) unmerge();
        return (Module) base;
    }

    /** The wrapped layer; merge() replaces its weight in place, which only a dense layer allows. */
    private Linear denseBase() {
        if (base instanceof Linear dense) return dense;
        throw new IllegalStateException("merging into a " + base.getClass().getSimpleName() + " base is not supported: "
                + "mergedWeight() gives the merged dense weight (the 4-bit weight dequantized)");
    }

    public LinearBase base() { return base; }

    /** The adapter's own parameters by their names under this module: lora_A.weight, lora_B.weight, lora_magnitude_vector. */
    public Map<String, Parameter> adapterParameters() {
        Map<String, Parameter> out = new LinkedHashMap<>();
        out.put("lora_A.weight", loraA.weight());
        out.put("lora_B.weight", loraB.weight());
        if (magnitude != null) out.put("lora_magnitude_vector", magnitude);
        return out;
    }

    public LoraConfig config() { return config; }

    public double scaling() { return scaling; }

    @Override
    public Generator generator() { return config.dropout() > 0 ? dropoutGenerator : null; }

    @Override
    public int inFeatures() { return base.inFeatures(); }

    @Override
    public int outFeatures() { return base.outFeatures(); }
}
