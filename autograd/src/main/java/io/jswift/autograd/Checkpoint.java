package io.jswift.autograd;

import io.jswift.tensor.Generator;
import io.jswift.tensor.Tensor;

import java.util.List;
import java.util.function.UnaryOperator;

/**
 * Activation checkpointing (Chen et al. 2016, torch.utils.checkpoint): the block's forward runs without
 * recording, keeping only its inputs; backward recomputes the forward with recording on and
 * backpropagates through it. Gradients of the block's parameters accumulate during that recomputation.
 * Random draws inside the block (dropout) replay identically: the generator is rewound for the recompute.
 */
public final class Checkpoint {
    private Checkpoint() {}

    /** A block of layers: inputs → output. */
    @FunctionalInterface
    public interface Block {
        Variable apply(Variable[] inputs);
    }

    /**
     * Runs {@code block} on {@code inputs} with checkpointing. {@code parameters} are the trainable leaves the
     * block uses (they decide whether the call is recorded even when no input requires grad, e.g. LoRA over a
     * frozen embedding); {@code generator} (nullable) is the one its dropout draws from.
     */
    public static Variable apply(Block block, List<Variable> parameters, Generator generator, Variable... inputs) {
        Variable[] all = new Variable[inputs.length + parameters.size()];
        System.arraycopy(inputs, 0, all, 0, inputs.length);
        for (int i = 0; i < parameters.size(); i++) all[inputs.length + i] = parameters.get(i);
        return Autograd.apply(new Recompute(block, inputs.length, generator), all);
    }

    private static final class Recompute implements Function {
        private final Block block;
        private final int inputCount;
        private final Generator generator;
        private long generatorOffset;

        Recompute(Block block, int inputCount, Generator generator) {
            this.block = block;
            this.inputCount = inputCount;
            this.generator = generator;
        }

        @Override
        public String name() { return "checkpoint"; }

        @Override
        public Tensor forward(Context ctx, Tensor... values) {
            if (generator != null) generatorOffset = generator.offset();
            Variable[] in = new Variable[inputCount];
            for (int i = 0; i < inputCount; i++) in[i] = values[i] == null ? null : Variable.constant(values[i]);
            Tensor[] keep = new Tensor[inputCount];
            System.arraycopy(values, 0, keep, 0, inputCount);
            ctx.save(keep);
            try (var scope = GradMode.noGrad()) {
                return block.apply(in).value();
            }
        }

        @Override
        public Tensor[] backward(Context ctx, Tensor g) {
            Variable[] in = new Variable[inputCount];
            for (int i = 0; i < inputCount; i++) {
                Tensor v = ctx.saved(i);
                in[i] = v == null ? null : ctx.needsInputGrad(i) ? Variable.leaf(v, true) : Variable.constant(v);
            }
            long resumeAt = generator == null ? 0 : generator.offset();
            if (generator != null) generator.setOffset(generatorOffset);
            Variable out;
            try (var scope = GradMode.enableGrad()) {
                out = block.apply(in);
            } finally {
                if (generator != null) generator.setOffset(resumeAt);
            }
            Tensor[] grads = new Tensor[inputCount + (ctx.inputCount() - inputCount)];
            if (out.requiresGrad()) {
                out.backward(g, false);
                for (int i = 0; i < inputCount; i++) if (in[i] != null && in[i].requiresGrad()) grads[i] = in[i].grad();
            }
            return grads;
        }
    }
}
