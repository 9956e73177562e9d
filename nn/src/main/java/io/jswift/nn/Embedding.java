package io.jswift.nn;

import io.jswift.autograd.GradMode;
import io.jswift.autograd.Variable;
import io.jswift.autograd.ops.Views;
import io.jswift.tensor.DType;
import io.jswift.tensor.Generator;
import io.jswift.tensor.Tensor;

/** Lookup table weight [num, dim] (torch.nn.Embedding, N(0, 1) init). */
public final class Embedding extends Module {
    private final Parameter weight; // [V, C]

    public Embedding(int num, int dim, Generator gen) {
        this.weight = registerParameter("weight", new Parameter(Init.normal(gen, 0, 1, num, dim)));
    }

    /** ids (I32/I64, any shape) → [..., C]; an id outside [0, V) fails naming it. */
    public Variable forward(Tensor ids) {
        int vocab = weight.shape()[0];
        for (long id : ids.toLongArray()) {
            if (id < 0 || id >= vocab) {
                throw new IndexOutOfBoundsException("token id " + id + " is outside the vocabulary [0, " + vocab + ")");
            }
        }
        Variable rows = Views.embedding(weight.variable(), ids);
        // A frozen table memory-mapped from the checkpoint: the rows are copies now, but the pages the lookup faulted in
        // stay in the resident set (with an 8 MiB read-ahead and large folios, the 512 random ids of one step mapped 326 MB of a
        // 152k x 3584 bf16 table in a QLoRA step). A training forward drops them; generation (no grad) keeps them,
        // since a tied head reads every page at each token anyway.
        if (GradMode.isEnabled() && !weight.requiresGrad()) weight.value().unloadMappedPages();
        // 16-bit tables are frozen checkpoint weights (trainable ones are f32): activations compute in f32.
        DType t = rows.dtype();
        return t == DType.BF16 || t == DType.F16 ? Variable.constant(rows.value().to(DType.F32)) : rows;
    }

    public Parameter weight() { return weight; }
}
