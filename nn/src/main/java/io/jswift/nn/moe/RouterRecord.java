package io.jswift.nn.moe;

import io.jswift.autograd.Variable;

import java.util.ArrayList;
import java.util.List;

/**
 * The router outputs of one forward, layer by layer (transformers' {@code output_router_logits}): what the
 * load-balancing loss reads. Passed in by the caller that wants them, as a KV cache is; null: not recorded.
 */
public final class RouterRecord {
    /** One sparse layer: softmax(router logits) [N, E] (differentiable) and its routing. */
    public record Layer(Variable probs, Routing routing) {}

    private final List<Layer> layers = new ArrayList<>();

    public void add(Variable probs, Routing routing) { layers.add(new Layer(probs, routing)); }

    public List<Layer> layers() { return List.copyOf(layers); }
}
