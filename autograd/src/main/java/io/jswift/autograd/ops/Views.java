package io.jswift.autograd.ops;

import io.jswift.autograd.Autograd;
import io.jswift.autograd.Context;
import io.jswift.autograd.Function;
import io.jswift.autograd.Variable;
import io.jswift.tensor.Tensor;

import java.util.List;

/** Differentiable layout ops: reshape, permute, transpose, narrow, expand, concat, index select (embedding). */
public final class Views {
    private Views() {}

    public static Variable reshape(Variable x, int... shape) { return Autograd.apply(new Reshape(shape.clone()), x); }

    public static Variable permute(Variable x, int... dims) { return Autograd.apply(new Permute(dims.clone()), x); }

    public static Variable transpose(Variable x, int d0, int d1) {
        int[] perm = new int[x.rank()];
        for (int i = 0; i < perm.length; i++) perm[i] = i;
        int a = io.jswift.tensor.Shapes.wrapDim(d0, perm.length), b = io.jswift.tensor.Shapes.wrapDim(d1, perm.length);
        perm[a] = b;
        perm[b] = a;
        return permute(x, perm);
    }

    public static Variable narrow(Variable x, int dim, int start, int length) {
        return Autograd.apply(new Narrow(dim, start, length), x);
    }

    public static Variable expand(Variable x, int... shape) { return Autograd.apply(new Expand(shape.clone()), x); }

    public static Variable concat(List<Variable> xs, int dim) {
        return Autograd.apply(new Concat(dim, xs.size()), xs.toArray(Variable[]::new));
    }

    /** Rows of {@code x} along {@code dim} at the 1-D integer {@code index} (embedding lookup: dim 0). */
    public static Variable indexSelect(Variable x, int dim, Tensor index) {
        return Autograd.apply(new IndexSelect(dim, index), x);
    }

    /** HF nn.Embedding: weight [V, C], ids of any shape → [..., C]. */
    public static Variable embedding(Variable weight, Tensor ids) {
        int[] shape = ids.shape();
        Variable rows = indexSelect(weight, 0, ids.reshape(-1));
        int[] out = java.util.Arrays.copyOf(shape, shape.length + 1);
        out[shape.length] = weight.size(1);
        return reshape(rows, out);
    }

    record Reshape(int[] shape) implements Function {
        @Override
        public Tensor forward(Context ctx, Tensor... in) { return in[0].reshape(shape); }

        @Override
        public Tensor[] backward(Context ctx, Tensor g) { return new Tensor[]{g.reshape(ctx.inputShape(0))}; }
    }

    record Permute(int[] dims) implements Function {
        @Override
        public Tensor forward(Context ctx, Tensor... in) { return in[0].permute(dims); }

        @Override
        public Tensor[] backward(Context ctx, Tensor g) {
            int[] inverse = new int[dims.length];
            for (int i = 0; i < dims.length; i++) inverse[io.jswift.tensor.Shapes.wrapDim(dims[i], dims.length)] = i;
            return new Tensor[]{g.permute(inverse)};
        }
    }

    record Narrow(int dim, int start, int length) implements Function {
        @Override
        public Tensor forward(Context ctx, Tensor... in) { return in[0].narrow(dim, start, length); }

        @Override
        public Tensor[] backward(Context ctx, Tensor g) {
            Tensor full = ctx.backend().allocate(g.dtype(), ctx.inputShape(0));
            ctx.backend().copy(g, full.narrow(dim, start, length));
            return new Tensor[]{full};
        }
    }

    record Expand(int[] shape) implements Function {
        @Override
        public Tensor forward(Context ctx, Tensor... in) { return in[0].expand(shape); }

        @Override
        public Tensor[] backward(Context ctx, Tensor g) {
            return new Tensor[]{Broadcast.sumToShape(ctx.backend(), g, ctx.inputShape(0))};
        }
    }

    record Concat(int dim, int count) implements Function {
        @Override
        public Tensor forward(Context ctx, Tensor... in) { return in[0].backend().concat(List.of(in), dim); }

        @Override
        public Tensor[] backward(Context ctx, Tensor g) {
            Tensor[] out = new Tensor[count];
            int offset = 0;
            for (int i = 0; i < count; i++) {
                int[] s = ctx.inputShape(i);
                int d = io.jswift.tensor.Shapes.wrapDim(dim, s.length);
                if (ctx.needsInputGrad(i)) out[i] = g.narrow(d, offset, s[d]);
                offset += s[d];
            }
            return out;
        }
    }

    /** Backward scatters rows back with index_add (repeated indices accumulate, as for embeddings). */
    record IndexSelect(int dim, Tensor index) implements Function {
        @Override
        public Tensor[] constants() { return new Tensor[]{index}; }

        @Override
        public Tensor forward(Context ctx, Tensor... in) { return in[0].backend().indexSelect(in[0], dim, index); }

        @Override
        public Tensor[] backward(Context ctx, Tensor g) {
            Tensor owned = ctx.ownedLeafGrad(0);
            if (owned != null && owned.dtype() == g.dtype()) { // e.g. a tied embedding: add the rows into the head's gradient
                ctx.backend().indexAdd(owned, dim, index, g);
                return new Tensor[]{null};
            }
            Tensor full = ctx.backend().allocate(g.dtype(), ctx.inputShape(0));
            ctx.backend().indexAdd(full, dim, index, g);
            return new Tensor[]{full};
        }
    }
}
