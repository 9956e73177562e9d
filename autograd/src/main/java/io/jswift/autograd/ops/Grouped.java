package io.jswift.autograd.ops;

import io.jswift.autograd.Autograd;
import io.jswift.autograd.Context;
import io.jswift.autograd.Function;
import io.jswift.autograd.Variable;
import io.jswift.tensor.DType;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.Backend;
import io.jswift.tensor.spi.FusedResults;
import io.jswift.tensor.spi.GradTarget;
import io.jswift.tensor.spi.MatmulRules;

import java.util.Arrays;

/**
 * Ops on rows grouped by expert, the Mixture-of-Experts data flow: the (token, slot) pairs a router picked are sorted
 * by expert, so each expert's rows are one contiguous block and each expert runs one GEMM (no per-token loop), and the
 * results are added back to their tokens. Built from the backend's grouped matmul ({@link Backend#groupedMatmul}, one
 * call for all experts, which the CPU spreads across cores expert by expert) and index_add, forward and backward.
 * Dims: M grouped rows (tokens · top-k), E experts, N tokens, K in features, O out features.
 */
public final class Grouped {
    private Grouped() {}

    /**
     * Grouped linear: rows {@code [off_e, off_e + counts[e])} of {@code x} [M, K] times {@code weight[e]ᵀ}
     * ({@code weight} [E, O, K], transformers 5's fused expert layout) → [M, O]. No bias (MoE experts have none).
     */
    public static Variable linear(Variable x, Variable weight, int[] counts) {
        return Autograd.apply(new GroupedLinear(counts.clone(), true), x, weight);
    }

    /**
     * Grouped matmul: rows {@code [off_e, off_e + counts[e])} of {@code x} [M, K] times {@code weight[e]} ({@code weight}
     * [E, K, O], GPT-OSS's expert layout: x @ W) → [M, O].
     */
    public static Variable matmul(Variable x, Variable weight, int[] counts) {
        return Autograd.apply(new GroupedLinear(counts.clone(), false), x, weight);
    }

    /**
     * The experts' SwiGLU MLP on rows grouped by expert ({@code counts[e]} rows for expert e), one node forward and
     * backward: {@code (silu(x·gate[e]ᵀ)·(x·up[e]ᵀ))·down[e]ᵀ} with {@code gateUp} [E, 2I, C] (gate rows first) and
     * {@code down} [E, C, I] → [M, C]. Equal to {@link #linear} → narrow → siluMul → {@link #linear}, in one call of
     * the backend ({@link Backend#groupedSiluMlp}) that the CPU runs as one task per expert.
     */
    public static Variable siluMlp(Variable rows, Variable gateUp, Variable down, int[] counts) {
        return Autograd.apply(new GroupedSiluMlp(counts.clone()), rows, gateUp, down);
    }

    /**
     * out [rows, C] with {@code out[index[i]] += src[i]} (torch's index_add_ into zeros): grouped expert outputs back to
     * their tokens, a token's k slots summed. Backward: dsrc = dout[index].
     */
    public static Variable scatterRows(Variable src, Tensor index, int rows) {
        return Autograd.apply(new ScatterRows(index, rows), src);
    }

    /**
     * The gradient input {@code i} (a parameter) has accumulated so far, when the backward may add into it in place:
     * owned by the leaf alone ({@link Context#ownedLeafGrad}) and of the dtype the product accumulates in; else null.
     */
    private static Tensor accumulator(Context ctx, int i, DType accumulator) {
        Tensor owned = ctx.ownedLeafGrad(i);
        return owned != null && owned.dtype() == accumulator ? owned : null;
    }

    /**
     * {@code transposed} (W[e] [O, K]): y[rows of e] = x[rows of e]·W[e]ᵀ; dx[rows of e] = dy[rows of e]·W[e];
     * dW[e] = dy[rows of e]ᵀ·x[rows of e]. Else (W[e] [K, O]): y = x·W[e]; dx = dy·W[e]ᵀ; dW[e] = x[rows of e]ᵀ·dy[rows of e].
     * dW[e] is zero for an expert no row picked (torch's gradient of an unused slice).
     */
    record GroupedLinear(int[] counts, boolean transposed) implements Function {
        @Override
        public Tensor forward(Context ctx, Tensor... in) {
            Tensor x = in[0], w = in[1];
            check(x, w);
            ctx.save(x, w);
            Backend be = x.backend();
            Tensor y = be.allocate(MatmulRules.accumulatorType(x, w), x.size(0), w.size(transposed ? 1 : 2));
            be.groupedMatmul(x, w, counts, transposed, y);
            DType type = MatmulRules.resultType(x, w);
            return y.dtype() == type ? y : be.cast(y, type);
        }

        @Override
        public Tensor[] backward(Context ctx, Tensor g) {
            Backend be = ctx.backend();
            Tensor x = ctx.saved(0), w = ctx.saved(1);
            Tensor dx = null, dw = null;
            if (ctx.needsInputGrad(0)) {
                dx = be.allocate(MatmulRules.accumulatorType(g, w), x.shape());
                be.groupedMatmul(g, w, counts, !transposed, dx);
                if (dx.dtype() != x.dtype() && x.dtype().isFloatingPoint()) dx = be.cast(dx, x.dtype());
            }
            if (ctx.needsInputGrad(1)) {
                DType acc = MatmulRules.accumulatorType(g, x);
                Tensor owned = accumulator(ctx, 1, acc);
                dw = owned != null ? owned : be.allocate(acc, w.shape());
                // zero for an expert no row picked (or left as accumulated); W[e] [K, O] takes x[rows of e]ᵀ·dy[rows of e], the same product with the roles swapped
                if (transposed) be.groupedWeightGrad(g, x, counts, dw, owned != null);
                else be.groupedWeightGrad(x, g, counts, dw, owned != null);
                if (owned != null) dw = null; // added into the parameter's .grad in place
                else if (dw.dtype() != w.dtype() && w.dtype().isFloatingPoint()) dw = be.cast(dw, w.dtype());
            }
            return new Tensor[]{dx, dw};
        }

        private void check(Tensor x, Tensor w) {
            if (x.rank() != 2 || w.rank() != 3 || w.size(transposed ? 2 : 1) != x.size(1) || w.size(0) != counts.length) {
                throw new IllegalArgumentException("grouped linear: x [M, K] and weight " + (transposed ? "[E, O, K]" : "[E, K, O]") + " with E = " + counts.length
                        + " groups, got " + Arrays.toString(x.shape()) + " and " + Arrays.toString(w.shape()));
            }
            long total = 0;
            for (int c : counts) {
                if (c < 0) throw new IllegalArgumentException("grouped linear: negative group size in " + Arrays.toString(counts));
                total += c;
            }
            if (total != x.size(0)) {
                throw new IllegalArgumentException("grouped linear: group sizes sum to " + total + ", x has " + x.size(0) + " rows");
            }
        }
    }

    /** Forward saves h = x·gateUp[e]ᵀ [M, 2I]; the backward recomputes the activation from it. */
    record GroupedSiluMlp(int[] counts) implements Function {
        @Override
        public Tensor forward(Context ctx, Tensor... in) {
            Tensor x = in[0], gateUp = in[1], down = in[2];
            FusedResults.GroupedMlp r = x.backend().groupedSiluMlp(x, gateUp, down, counts);
            ctx.save(x, gateUp, down, r.gateUp());
            DType type = DType.promote(MatmulRules.resultType(x, gateUp), down.dtype());
            return r.output().dtype() == type ? r.output() : x.backend().cast(r.output(), type);
        }

        @Override
        public Tensor[] backward(Context ctx, Tensor g) {
            Backend be = ctx.backend();
            Tensor x = ctx.saved(0), gateUp = ctx.saved(1), down = ctx.saved(2);
            GradTarget dGateUp = target(ctx, 1, MatmulRules.accumulatorType(g, x)), dDown = target(ctx, 2, MatmulRules.accumulatorType(g, down));
            FusedResults.GroupedMlpGrads d = be.groupedSiluMlpBackward(g, x, gateUp, down, ctx.saved(3), counts,
                    GradTarget.of(ctx.needsInputGrad(0)), dGateUp, dDown);
            return new Tensor[]{ctx.needsInputGrad(0) ? as(be, d.dInput(), x) : null, result(be, dGateUp, d.dGateUp(), gateUp), result(be, dDown, d.dDown(), down)};
        }

        /** Skip a frozen weight; add into the weight's own accumulated gradient when it has one of the accumulator dtype. */
        private static GradTarget target(Context ctx, int input, DType accumulator) {
            if (!ctx.needsInputGrad(input)) return GradTarget.SKIP;
            Tensor owned = accumulator(ctx, input, accumulator);
            return owned != null ? GradTarget.into(owned) : GradTarget.NEW;
        }

        /** What backward returns for a weight: nothing when skipped or already added into its .grad. */
        private static Tensor result(Backend be, GradTarget target, Tensor grad, Tensor weight) {
            return !target.wanted() || target.accumulates() ? null : as(be, grad, weight);
        }

        /** A gradient in its input's floating dtype. */
        private static Tensor as(Backend be, Tensor grad, Tensor input) {
            return grad.dtype() == input.dtype() || !input.dtype().isFloatingPoint() ? grad : be.cast(grad, input.dtype());
        }
    }

    record ScatterRows(Tensor index, int rows) implements Function {
        @Override
        public Tensor[] constants() { return new Tensor[]{index}; }

        @Override
        public Tensor forward(Context ctx, Tensor... in) {
            Tensor src = in[0];
            if (src.rank() != 2 || index.rank() != 1 || index.size(0) != src.size(0)) {
                throw new IllegalArgumentException("scatter rows: src [M, C] and index [M], got " + Arrays.toString(src.shape())
                        + " and " + Arrays.toString(index.shape()));
            }
            Backend be = src.backend();
            Tensor out = be.allocate(src.dtype(), rows, src.size(1));
            be.fill(out, 0);
            be.indexAdd(out, 0, index, src);
            return out;
        }

        @Override
        public Tensor[] backward(Context ctx, Tensor g) {
            return new Tensor[]{ctx.backend().indexSelect(g, 0, index)};
        }
    }
}
