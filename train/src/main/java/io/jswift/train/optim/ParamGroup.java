package io.jswift.train.optim;

import io.jswift.nn.Parameter;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Parameters that share a weight decay; names are kept for optimizer-state checkpoints. */
public record ParamGroup(Map<String, Parameter> parameters, double weightDecay) {
    /**
     * The default split (nanoGPT's configure_optimizers): trainable tensors with dim >= 2 (matrices,
     * embeddings) decay, vectors (biases, norm weights) don't.
     */
    public static List<ParamGroup> decayMatricesOnly(Map<String, Parameter> named, double weightDecay) {
        Map<String, Parameter> decay = new java.util.LinkedHashMap<>(), noDecay = new java.util.LinkedHashMap<>();
        named.forEach((name, p) -> {
            if (!p.requiresGrad()) return;
            (p.shape().length >= 2 ? decay : noDecay).put(name, p);
        });
        List<ParamGroup> groups = new ArrayList<>();
        if (!decay.isEmpty()) groups.add(new ParamGroup(decay, weightDecay));
        if (!noDecay.isEmpty()) groups.add(new ParamGroup(noDecay, 0));
        return groups;
    }
}
