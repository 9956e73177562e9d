package io.jswift.nn;

import io.jswift.nn.moe.GptOssExperts;
import io.jswift.nn.deltanet.CausalConv1d;
import io.jswift.nn.deltanet.GatedDeltaNet;
import io.jswift.nn.deltanet.GatedRmsNorm;
import io.jswift.nn.moe.MoeExperts;
import io.jswift.nn.moe.TopKRouter;
import io.jswift.tensor.Generator;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.UnaryOp;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * transformers' {@code PreTrainedModel._init_weights} for the layers jswift's decoders are made of:
 * Linear and Embedding weights ~ N(0, initializer_range), Linear biases 0, RMSNorm weights 1, MoE experts and routers
 * ~ N(0, initializer_range) (GPT-OSS: expert biases 0, router bias normal, attention sinks normal), Gated DeltaNet's
 * conv1d ~ N(0, initializer_range), dt_bias 1, A_log log(U(0.01, 16)) and gated norm 1. Parameters
 * are drawn in registration order from one seeded generator (same seed, same weights). A parameter of any
 * other layer type is an error, so no weight is ever left uninitialized (or meta).
 */
public final class HfInit {
    private HfInit() {}

    public static void apply(Module root, double initializerRange, Generator gen) {
        Set<Parameter> done = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Module m : root.namedModules().values()) {
            switch (m) {
                case Linear l -> {
                    set(l.weight(), Init.normal(gen, 0, initializerRange, l.weight().shape()), done);
                    if (l.bias() != null) set(l.bias(), Init.constant(0, l.bias().shape()), done);
                }
                case Embedding e -> set(e.weight(), Init.normal(gen, 0, initializerRange, e.weight().shape()), done);
                case RMSNorm n -> set(n.weight(), Init.constant(n.unitOffset() ? 0 : 1, n.weight().shape()), done); // Gemma: (1 + w), w = 0
                case MoeExperts x -> { // Qwen2MoePreTrainedModel._init_weights: normal_ on both stacks
                    set(x.gateUpProj(), Init.normal(gen, 0, initializerRange, x.gateUpProj().shape()), done);
                    set(x.downProj(), Init.normal(gen, 0, initializerRange, x.downProj().shape()), done);
                }
                case GptOssExperts x -> { // GptOssPreTrainedModel._init_weights: normal_ weights, zero biases
                    for (Parameter p : x.weights()) set(p, Init.normal(gen, 0, initializerRange, p.shape()), done);
                    for (Parameter p : x.biases()) set(p, Init.constant(0, p.shape()), done);
                }
                case TopKRouter r -> {
                    set(r.weight(), Init.normal(gen, 0, initializerRange, r.weight().shape()), done);
                    if (r.bias() != null) set(r.bias(), Init.normal(gen, 0, initializerRange, r.bias().shape()), done); // GptOssTopKRouter
                    if (r.correctionBias() != null) set(r.correctionBias(), Init.constant(0, r.correctionBias().shape()), done);
                }
                case InitializesOwnParameters o -> done.addAll(o.initialize(initializerRange, gen));
                case GatedDeltaNet d -> { // Qwen3NextPreTrainedModel._init_weights: dt_bias 1, A_log = log(U(0.01, 16))
                    set(d.dtBias(), Init.constant(1, d.dtBias().shape()), done);
                    Tensor a = Init.uniform(gen, 0.01, 16, d.aLog().shape());
                    set(d.aLog(), a.backend().unary(UnaryOp.LOG, a), done);
                }
                case CausalConv1d c -> set(c.weight(), Init.normal(gen, 0, initializerRange, c.weight().shape()), done); // as nn.Conv1d
                case GatedRmsNorm n -> set(n.weight(), Init.constant(1, n.weight().shape()), done);
                default -> { }
            }
        }
        List<String> missed = new ArrayList<>();
        for (Map.Entry<String, Parameter> e : root.namedParameters().entrySet()) if (!done.contains(e.getValue())) missed.add(e.getKey());
        if (!missed.isEmpty()) throw new IllegalArgumentException("no Hugging Face init rule for parameters " + missed);
    }

    private static void set(Parameter p, Tensor value, Set<Parameter> done) {
        if (done.add(p)) p.setValue(value); // a shared (tied) parameter is initialized once
    }
}
