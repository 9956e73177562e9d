package io.jswift.nn.lora;

import io.jswift.autograd.Variable;
import io.jswift.autograd.ops.Elementwise;
import io.jswift.autograd.ops.LinearAlgebra;
import io.jswift.autograd.ops.Views;
import io.jswift.nn.LinearBase;
import io.jswift.nn.LinearLayer;
import io.jswift.nn.Module;
import io.jswift.nn.Parameter;
import io.jswift.tensor.Device;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A frozen linear base layer serving several LoRA / DoRA adapters at once, each row of a batch with its own adapter
 * or none (S-LoRA, Sheng et al. 2023; Punica, Chen et al. 2023): the base product x·Wᵀ once for all rows (the weight
 * read once), then per segment of rows that share an adapter the low-rank products A then B on those rows only, added
 * to their rows. Which row uses which adapter comes from the model's {@link LoraRouting} ({@link MultiLora#route});
 * unrouted, the layer is its base layer. Dims: N = rows (dim 0 of x: batch rows, or their tokens flattened), I = in,
 * O = out, R = rank of an adapter.
 *
 * <p>Each row gets exactly what {@link LoraLinear} computes for that adapter alone (same ops in the same order:
 * (x·Wᵀ + bias) + s·B(A(x)) for LoRA, g ⊙ (x·Wᵀ + s·B(A(x))) + bias for DoRA), so a greedy reply does not depend on
 * who shares its batch. Inference only: the adapters are constants and dropout is off (PEFT in eval mode).
 */
public final class MultiLoraLinear extends Module implements LinearLayer {
    private final LinearBase base;
    private final Parameter bias;          // [O] or null, shared with base
    private final LoraRouting routing;
    private final LoraWeights[] adapters;  // by adapter index; null where that adapter does not target this layer

    MultiLoraLinear(LinearBase base, LoraRouting routing, LoraWeights[] adapters) {
        this.base = base;
        this.bias = base.bias();
        this.routing = routing;
        this.adapters = adapters.clone();
        for (LoraWeights w : this.adapters) {
            if (w != null && (w.inFeatures() != base.inFeatures() || w.outFeatures() != base.outFeatures())) {
                throw new IllegalArgumentException("an adapter of shape " + w.inFeatures() + " → " + w.outFeatures() + " does not fit the layer "
                        + base.inFeatures() + " → " + base.outFeatures());
            }
        }
        // the state dict keeps the base layer's Hugging Face names (...q_proj.weight), as LoraLinear does
        base.baseParameters().forEach((name, p) -> {
            p.setRequiresGrad(false);
            registerDottedParameter(name, p);
        });
    }

    @Override
    public Variable forward(Variable x) {
        List<LoraRouting.Segment> segments = routing.segments();
        if (segments == null || segments.stream().allMatch(s -> adapter(s) == null)) return base.forward(x);
        // dim 0 holds the batch rows, or their tokens flattened row-major ([B·T, I]: a MoE block's router and shared
        // expert see them so); either way a batch row's entries are adjacent, each `per` long
        int rows = routing.rows(), n = x.size(0);
        if (n % rows != 0) {
            throw new IllegalArgumentException("the LoRA routing names " + rows + " rows but the layer got input "
                    + Arrays.toString(x.shape()) + " (dim 0 must be the rows, or their tokens flattened)");
        }
        int per = n / rows;
        Variable projected = base.project(x);
        Variable b = bias == null ? null : bias.variable();
        if (segments.size() == 1) return segment(projected, x, b, adapter(segments.getFirst()));
        List<Variable> parts = new ArrayList<>(segments.size());
        for (LoraRouting.Segment s : segments) {
            int start = s.start() * per, length = s.length() * per;
            parts.add(segment(Views.narrow(projected, 0, start, length), Views.narrow(x, 0, start, length), b, adapter(s)));
        }
        return Views.concat(parts, 0);
    }

    private LoraWeights adapter(LoraRouting.Segment s) { return s.adapter() < 0 ? null : adapters[s.adapter()]; }

    /** One segment's rows: x·Wᵀ (computed) plus bias and, when it has one, its adapter's update, in LoraOps' order. */
    private static Variable segment(Variable projected, Variable x, Variable bias, LoraWeights w) {
        if (w == null) return bias == null ? projected : Elementwise.add(projected, bias);
        Variable update = Elementwise.scale(LinearAlgebra.linear(LinearAlgebra.linear(x, Variable.constant(w.a()), null),
                Variable.constant(w.b()), null), w.scaling());
        if (!w.dora()) return Elementwise.add(bias == null ? projected : Elementwise.add(projected, bias), update);
        Variable y = Elementwise.mul(Variable.constant(w.doraFactor()), Elementwise.add(projected, update));
        return bias == null ? y : Elementwise.add(y, bias);
    }

    /** The adapters' tensors move with the module. */
    @Override
    protected void moveBuffers(Device device) {
        for (int i = 0; i < adapters.length; i++) if (adapters[i] != null) adapters[i] = adapters[i].to(device);
    }

    /** The adapter with index {@code i} on this layer, or null when it does not target it. */
    public LoraWeights adapter(int i) { return adapters[i]; }

    public LinearBase base() { return base; }

    @Override
    public int inFeatures() { return base.inFeatures(); }

    @Override
    public int outFeatures() { return base.outFeatures(); }
}
