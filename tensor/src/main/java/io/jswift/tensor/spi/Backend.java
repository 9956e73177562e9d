package io.jswift.tensor.spi;

import io.jswift.tensor.DType;
import io.jswift.tensor.Device;
import io.jswift.tensor.Generator;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.quant.FourBitType;
import io.jswift.tensor.quant.Weight4bit;

import java.util.List;

/**
 * The operations a device must provide. Dims glossary: B = batch, T = query length, S = key length,
 * Hq / Hkv = query / key-value heads, D = head dim, N = rows, V = vocabulary, C = channels.
 *
 * <p>Contract for every method: inputs live on this backend's device and may be arbitrary strided
 * views (broadcast strides of 0 included); results are new contiguous tensors on this device.
 * Floating inputs compute in f32 (f64 when any input is F64) and results take the input's floating
 * dtype unless stated otherwise; mixed dtypes are promoted with {@link DType#promote}.
 *
 * <p>The fused ops at the bottom have default implementations composed from the primitives
 * ({@link FusedReference}): they are the reference the tests use, and the fallback of a backend that
 * lacks a kernel. Each fused op's backward sits next to its forward.
 */
public interface Backend {
    Device device();

    // ------------------------------------------------------------------ memory

    /** A zero-filled contiguous tensor. */
    Tensor allocate(DType dtype, int... shape);

    /** Copies a host tensor onto this device (contiguous result). */
    Tensor fromHost(Tensor host);

    /** Copies a tensor of this device to the host (contiguous result). */
    Tensor toHost(Tensor tensor);

    /** dst[i] = cast(src[i]) elementwise; shapes must be equal (expand src first to broadcast); dst may be a view. */
    void copy(Tensor src, Tensor dst);

    /** Sets every element of {@code dst} (which may be a view) to {@code value}. */
    void fill(Tensor dst, double value);

    /** [start, start + step, ...) up to but excluding {@code end}, as a 1-D tensor of {@code dtype}. */
    Tensor arange(double start, double end, double step, DType dtype);

    /**
     * Fills {@code dst} from {@code spec} using {@code generator}. The values for a given generator state
     * must be identical on every backend (generate on the host with {@link Generator}, or run the same
     * counter-based algorithm on the device).
     */
    void fillRandom(Tensor dst, RandomSpec spec, Generator generator);

    // ------------------------------------------------------------------ elementwise

    Tensor unary(UnaryOp op, Tensor x);

    /** a op b with NumPy broadcasting; comparisons return BOOL. */
    Tensor binary(BinaryOp op, Tensor a, Tensor b);

    /**
     * {@code out = a op b} written into {@code out}, which has the broadcast shape and the result dtype of
     * {@link #binary} and may be {@code a} itself (torch's {@code add_}, {@code mul_}); otherwise it must not
     * overlap the operands. Used where a new tensor would cost memory: gradient accumulation and clipping.
     */
    default void binaryInto(BinaryOp op, Tensor a, Tensor b, Tensor out) {
        ElementwiseRules.checkInto(op, a, b, out);
        copy(binary(op, a, b), out);
    }

    /** a op scalar, elementwise (e.g. x * 0.5, x ^ 2); comparisons return BOOL. */
    Tensor binaryScalar(BinaryOp op, Tensor a, double scalar);

    /** cond ? a : b with broadcasting of all three; cond is BOOL (or any type, non-zero = true). */
    Tensor where(Tensor cond, Tensor a, Tensor b);

    /** A copy converted to {@code dtype}. */
    default Tensor cast(Tensor x, DType dtype) {
        Tensor out = allocate(dtype, x.shape());
        copy(x, out);
        return out;
    }

    // ------------------------------------------------------------------ reductions

    /** Reduces {@code dims} (negative allowed; empty = all dims). MEAN of an integer tensor is F32. */
    Tensor reduce(ReduceOp op, Tensor x, int[] dims, boolean keepDim);

    /** Index of the first maximum along {@code dim}, as I64. */
    Tensor argmax(Tensor x, int dim, boolean keepDim);

    // ------------------------------------------------------------------ linear algebra

    /**
     * Batched matrix product: a is [..., M, K] ([..., K, M] when transA), b is [..., K, N] ([..., N, K]
     * when transB); leading batch dims broadcast; 1-D operands are not accepted. bf16/f16 operands are
     * converted on the fly; the result dtype is {@code DType.promote(a, b)}.
     */
    Tensor matmul(Tensor a, Tensor b, boolean transA, boolean transB);

    /**
     * {@link #matmul} written into {@code out}, a contiguous tensor of the result's shape (F32, or F64 for
     * F64 operands), avoiding an allocation in loops and benchmarks (torch.matmul's out=).
     */
    default void matmul(Tensor a, Tensor b, boolean transA, boolean transB, Tensor out) {
        Tensor r = matmul(a, b, transA, transB);
        if (!java.util.Arrays.equals(r.shape(), out.shape())) {
            throw new IllegalArgumentException("matmul out has shape " + java.util.Arrays.toString(out.shape())
                    + ", the product has shape " + java.util.Arrays.toString(r.shape()));
        }
        copy(r, out);
    }

    /**
     * {@code out += a·b} (torch's {@code addmm_} with beta = 1), {@code out} as in
     * {@link #matmul(Tensor, Tensor, boolean, boolean, Tensor)}: accumulates a weight gradient chunk by chunk
     * without a temporary of the weight's size.
     */
    default void matmulAccumulate(Tensor a, Tensor b, boolean transA, boolean transB, Tensor out) {
        binaryInto(BinaryOp.ADD, out, matmul(a, b, transA, transB), out);
    }

    // ------------------------------------------------------------------ grouped (MoE experts)

    /**
     * Grouped matmul, the MoE experts' data flow: rows {@code [off_e, off_e + counts[e])} of {@code x} [M, K] times
     * {@code w[e]ᵀ} ({@code transW}: w [E, N, K], transformers 5's fused expert layout) or {@code w[e]} (w [E, K, N]),
     * written into the same rows of {@code out} [M, N] (contiguous, F32 or F64 as {@link #matmul(Tensor, Tensor,
     * boolean, boolean, Tensor)}'s out). The default runs one matmul per group ({@link GroupedReference}).
     */
    default void groupedMatmul(Tensor x, Tensor w, int[] counts, boolean transW, Tensor out) {
        GroupedReference.matmul(this, x, w, counts, transW, out);
    }

    /**
     * The grouped weight gradient: {@code dw[e] = dy[rows of e]ᵀ · x[rows of e]} for dy [M, N] and x [M, K] into
     * {@code dw} [E, N, K] (contiguous), zero for a group of no rows (torch's gradient of an unused slice); with
     * {@code accumulate}, {@code dw[e] += ...} instead and a group of no rows keeps its values (a parameter's
     * accumulated gradient, see {@link GradTarget}).
     */
    default void groupedWeightGrad(Tensor dy, Tensor x, int[] counts, Tensor dw, boolean accumulate) {
        GroupedReference.weightGrad(this, dy, x, counts, dw, accumulate);
    }

    /**
     * The MoE experts' gated MLP with silu on grouped rows (transformers 5's MixtralExperts / Qwen3MoeExperts): for the
     * rows of expert e, h = x·gateUp[e]ᵀ [M, 2I] (gate columns first, then up) and y = (silu(h_gate)·h_up)·down[e]ᵀ
     * [M, C]; gateUp [E, 2I, C], down [E, C, I]. Returns y and h in the accumulator dtype (F32, F64 for F64 inputs).
     * The default composes {@link #groupedMatmul} and {@link #siluMul} ({@link GroupedReference}).
     */
    default FusedResults.GroupedMlp groupedSiluMlp(Tensor x, Tensor gateUp, Tensor down, int[] counts) {
        return GroupedReference.siluMlp(this, x, gateUp, down, counts);
    }

    /**
     * The backward of {@link #groupedSiluMlp} given dy [M, C] and its saved h; gradients in the accumulator dtype.
     * Each gradient is computed, skipped (null in the result) or added into a given tensor (then that tensor is the
     * result's) as its {@link GradTarget} says; the input's target is never {@link GradTarget#into}.
     */
    default FusedResults.GroupedMlpGrads groupedSiluMlpBackward(Tensor dy, Tensor x, Tensor gateUp, Tensor down, Tensor h, int[] counts,
                                                               GradTarget dInput, GradTarget dGateUp, GradTarget dDown) {
        return GroupedReference.siluMlpBackward(this, dy, x, gateUp, down, h, counts, dInput, dGateUp, dDown);
    }

    /**
     * The MoE experts' SwiGLU MLP read from and added back to the tokens, for inference (no backward): grouped row m
     * (rows in expert order, {@code counts[e]} for expert e) is token {@code tokens[m]} of x [N, C], and
     * out[n] = Σ_{m: tokens[m] = n} weights[m] · MLP_e(m)(x[n]) [N, C], summed in the order of m (as index_add of the
     * weighted rows into zeros, the composition {@link GroupedReference#siluMlpCombine} runs). f32 out (f64 for f64
     * inputs). The gather and the weighted sum are the epilogues of one grouped call, no [M, C] tensors between ops.
     */
    default Tensor groupedSiluMlpCombine(Tensor x, Tensor gateUp, Tensor down, int[] counts, int[] tokens, float[] weights) {
        return GroupedReference.siluMlpCombine(this, x, gateUp, down, counts, tokens, weights);
    }

    // ------------------------------------------------------------------ indexing

    /** Rows of {@code x} along {@code dim} picked by a 1-D I32/I64 {@code index}; embedding lookup is dim 0. */
    Tensor indexSelect(Tensor x, int dim, Tensor index);

    /** torch.gather: out[i][j][k] = x[i][index[i][j][k]][k] for dim 1; index has x's rank. */
    Tensor gather(Tensor x, int dim, Tensor index);

    /** In place, torch.scatter_add_: dst[i][index[i][j][k]][k] += src[i][j][k] for dim 1. */
    void scatterAdd(Tensor dst, int dim, Tensor index, Tensor src);

    /** In place, torch.index_add_: dst.select(dim, index[i]) += src.select(dim, i); the embedding backward. */
    void indexAdd(Tensor dst, int dim, Tensor index, Tensor src);

    /** Concatenation along {@code dim}; all other dims must agree. */
    Tensor concat(List<Tensor> tensors, int dim);

    // ------------------------------------------------------------------ 4-bit weights (bitsandbytes)

    /**
     * bitsandbytes' dequantize_4bit: {@code packed} U8 [ceil(n/2)] (two nibbles a byte, the first element high),
     * {@code absmax} F32 [ceil(n/blocksize)]; returns [shape] in {@code dtype}: type's value of each nibble times its
     * block's absmax, in f32, rounded once to dtype. Reference: {@link QuantReference#dequantize4bit}.
     */
    default Tensor dequantize4bit(Tensor packed, Tensor absmax, FourBitType type, int blocksize,
                                  int[] shape, DType dtype) {
        return QuantReference.dequantize4bit(this, packed, absmax, type, blocksize, shape, dtype);
    }

    /**
     * y [M, N] = x [M, K] · Wᵀ with W [N, K] = {@link #dequantize4bit}(…, {@code weightDtype}) (bnb's matmul_4bit; the
     * decode GEMV): a kernel may dequantize in registers and sum in another order, never materializing W.
     * Reference: {@link QuantReference#matmul4bit}.
     */
    default Tensor matmul4bit(Tensor x, Tensor packed, Tensor absmax, FourBitType type, int blocksize, int[] shape, DType weightDtype) {
        return QuantReference.matmul4bit(this, x, packed, absmax, type, blocksize, shape, weightDtype);
    }

    /**
     * {@link #dequantize4bit} of a weight as stored, whose absmax may be double quantized (8-bit codes, decoded by a
     * kernel block by block). Reference: decode the absmax ({@link QuantReference#absmax}), then the op above.
     */
    default Tensor dequantize4bit(Weight4bit w, DType dtype) {
        return QuantReference.dequantize4bit(this, w, dtype);
    }

    /**
     * x · op(W) with W [N, K] = {@link #dequantize4bit}(w, {@code weightDtype}), op(W) = Wᵀ when {@code transW} (the
     * layer's forward: x [M, K] gives [M, N]) or W (its input gradient: dy [M, N] gives [M, K]); the result dtype and
     * rounding as {@link #matmul}'s with the dequantized weight. Kernels may decode W tile by tile, never whole.
     * Reference: {@link QuantReference#matmul4bit(Backend, Tensor, Weight4bit, boolean, DType)}.
     */
    default Tensor matmul4bit(Tensor x, Weight4bit w, boolean transW, DType weightDtype) {
        return QuantReference.matmul4bit(this, x, w, transW, weightDtype);
    }

    // ------------------------------------------------------------------ fused ops (reference defaults)

    /** y = weight * (x / sqrt(mean(x^2, -1) + eps)), normalizing over the last dim; weight may be null. */
    default FusedResults.RmsNorm rmsNorm(Tensor x, Tensor weight, double eps) {
        return FusedReference.rmsNorm(this, x, weight, eps);
    }

    default FusedResults.NormGrads rmsNormBackward(Tensor dy, Tensor x, Tensor weight, Tensor rstd) {
        return FusedReference.rmsNormBackward(this, dy, x, weight, rstd);
    }

    /** y = (x - mean) / sqrt(var + eps) * weight + bias over the last dim (biased variance); weight/bias may be null. */
    default FusedResults.LayerNorm layerNorm(Tensor x, Tensor weight, Tensor bias, double eps) {
        return FusedReference.layerNorm(this, x, weight, bias, eps);
    }

    default FusedResults.NormGrads layerNormBackward(Tensor dy, Tensor x, Tensor weight, Tensor mean, Tensor rstd, boolean hasBias) {
        return FusedReference.layerNormBackward(this, dy, x, weight, mean, rstd, hasBias);
    }

    /**
     * HF rotary embedding: y = x * cos + rotate_half(x) * sin with rotate_half(x) = cat(-x2, x1).
     * x is [B, H, T, D]; cos and sin are [T, R] or [B, T, R] with R <= D even; only the first R dims
     * of each head rotate (partial rotary), the rest pass through.
     */
    default Tensor rope(Tensor x, Tensor cos, Tensor sin) {
        return FusedReference.rope(this, x, cos, sin);
    }

    /** The transpose of {@link #rope}: dx = dy * cos + rotate_half^T(dy * sin). */
    default Tensor ropeBackward(Tensor dy, Tensor cos, Tensor sin) {
        return FusedReference.ropeBackward(this, dy, cos, sin);
    }

    /** silu(gate) * up, the SwiGLU activation. */
    default Tensor siluMul(Tensor gate, Tensor up) {
        return FusedReference.siluMul(this, gate, up);
    }

    default FusedResults.SiluMulGrads siluMulBackward(Tensor dy, Tensor gate, Tensor up) {
        return FusedReference.siluMulBackward(this, dy, gate, up);
    }

    /** Softmax over the last dim. */
    default Tensor softmax(Tensor x) {
        return FusedReference.softmax(this, x);
    }

    /** dx = y * (dy - sum(dy * y, -1)), given the softmax output y. */
    default Tensor softmaxBackward(Tensor dy, Tensor y) {
        return FusedReference.softmaxBackward(this, dy, y);
    }

    /** Log-softmax over the last dim. */
    default Tensor logSoftmax(Tensor x) {
        return FusedReference.logSoftmax(this, x);
    }

    /** dx = dy - exp(y) * sum(dy, -1), given the log-softmax output y. */
    default Tensor logSoftmaxBackward(Tensor dy, Tensor y) {
        return FusedReference.logSoftmaxBackward(this, dy, y);
    }

    /**
     * Scaled-dot-product attention softmax(q·kᵀ·scale + mask)·v with grouped-query heads: q [B, Hq, T, D],
     * k [B, Hkv, S, D], v [B, Hkv, S, Dv] (Dv may differ from D: DeepSeek's latent attention), output [B, Hq, T, Dv],
     * Hq a multiple of Hkv (query head h uses key/value head h / (Hq / Hkv)); the checks are {@link AttentionRules}'.
     * Masking per {@link AttentionSpec}.
     */
    default FusedResults.Attention attention(Tensor q, Tensor k, Tensor v, AttentionSpec spec) {
        return FusedReference.attention(this, q, k, v, spec);
    }

    default FusedResults.AttentionGrads attentionBackward(Tensor dOut, Tensor q, Tensor k, Tensor v,
                                                         Tensor out, Tensor logSumExp, AttentionSpec spec) {
        return FusedReference.attentionBackward(this, dOut, q, k, v, out, logSumExp, spec);
    }

    /**
     * {@link #attention} of q [B, Hq, T, D] over keys and values read from a paged KV cache through block tables
     * (vLLM's paged attention; inference only: no log-sum-exp, no backward): row b's T queries are its last T of
     * {@code kv.contextLens()[b]} positions, masked per {@code spec} (causal offset, window, soft-cap; no segments).
     * Returns [B, Hq, T, Dv] (the value blocks' head dim) in q's dtype. The default gathers each row's blocks into a contiguous copy and calls
     * {@link #attention} (the reference; any backend); a kernel reads the blocks in place.
     */
    default Tensor pagedAttention(Tensor q, PagedKv kv, AttentionSpec spec) {
        return FusedReference.pagedAttention(this, q, kv, spec);
    }

    /**
     * Cross-entropy of logits [N, V] against integer targets [N]; rows whose target equals
     * {@code ignoreIndex} get loss 0. The caller reduces (HF: mean over the non-ignored rows).
     */
    default FusedResults.CrossEntropy crossEntropy(Tensor logits, Tensor targets, long ignoreIndex) {
        return FusedReference.crossEntropy(this, logits, targets, ignoreIndex);
    }

    /** dlogits [N, V] = dLoss[n] * (softmax(logits[n]) - onehot(target[n])); zero rows for ignored targets. */
    default Tensor crossEntropyBackward(Tensor dLosses, Tensor logits, Tensor targets, Tensor logSumExp, long ignoreIndex) {
        return FusedReference.crossEntropyBackward(this, dLosses, logits, targets, logSumExp, ignoreIndex);
    }

    /**
     * One in-place AdamW update at 1-based {@code step}, exactly torch.optim.AdamW: p *= 1 - lr·wd;
     * m = β1·m + (1-β1)·g; v = β2·v + (1-β2)·g²; p -= lr/(1-β1^t) · m / (sqrt(v)/sqrt(1-β2^t) + eps).
     * param, expAvg and expAvgSq are contiguous f32 (or f64); grad has the same shape.
     */
    default void adamwStep(Tensor param, Tensor grad, Tensor expAvg, Tensor expAvgSq, AdamWConfig config, long step) {
        FusedReference.adamwStep(this, param, grad, expAvg, expAvgSq, config, step);
    }
}
