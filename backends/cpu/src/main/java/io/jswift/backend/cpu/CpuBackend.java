package io.jswift.backend.cpu;

import io.jswift.tensor.spi.FusedRules;
import io.jswift.tensor.DType;
import io.jswift.tensor.Device;
import io.jswift.tensor.Generator;
import io.jswift.tensor.HostStorage;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.quant.FourBitType;
import io.jswift.tensor.quant.Weight4bit;
import io.jswift.tensor.spi.AdamWConfig;
import io.jswift.tensor.spi.AttentionSpec;
import io.jswift.tensor.spi.Backend;
import io.jswift.tensor.spi.FusedResults;
import io.jswift.tensor.spi.GradTarget;
import io.jswift.tensor.spi.PagedKv;
import io.jswift.tensor.spi.QuantReference;
import io.jswift.tensor.spi.BinaryOp;
import io.jswift.tensor.spi.RandomSpec;
import io.jswift.tensor.spi.ReduceOp;
import io.jswift.tensor.spi.UnaryOp;
import io.jswift.backend.cpu.fused.AdamWKernel;
import io.jswift.backend.cpu.fused.AttentionKernels;
import io.jswift.backend.cpu.fused.CrossEntropyKernels;
import io.jswift.backend.cpu.fused.Dequant4bitKernels;
import io.jswift.backend.cpu.fused.NormKernels;
import io.jswift.backend.cpu.fused.RopeKernels;
import io.jswift.backend.cpu.fused.SiluMulKernels;
import io.jswift.backend.cpu.fused.SoftmaxKernels;
import io.jswift.backend.cpu.gemm.Gemm4bit;
import io.jswift.backend.cpu.gemm.Gemv4bit;
import io.jswift.backend.cpu.gemm.GroupedGemm;
import io.jswift.backend.cpu.gemm.GroupedMlpKernels;
import io.jswift.backend.cpu.gemm.Matmul;
import io.jswift.backend.cpu.kernels.CopyKernels;
import io.jswift.backend.cpu.kernels.ElementwiseKernels;
import io.jswift.backend.cpu.kernels.IndexKernels;
import io.jswift.backend.cpu.kernels.ReduceKernels;

import java.util.List;

/**
 * The CPU backend: the reference and the fast path. This class only dispatches; each op family lives in
 * its own kernel class (elementwise, reductions, GEMM, indexing, norms, attention, ...).
 */
public final class CpuBackend implements Backend {
    @Override
    public Device device() { return Device.CPU; }

    // ------------------------------------------------------------------ memory

    @Override
    public Tensor allocate(DType dtype, int... shape) { return Tensor.zeros(dtype, shape); }

    @Override
    public Tensor fromHost(Tensor host) { return host.contiguous(); }

    @Override
    public Tensor toHost(Tensor tensor) { return tensor.contiguous(); }

    @Override
    public void copy(Tensor src, Tensor dst) { CopyKernels.copy(src, dst); }

    @Override
    public void fill(Tensor dst, double value) { CopyKernels.fill(dst, value); }

    @Override
    public Tensor arange(double start, double end, double step, DType dtype) { return CopyKernels.arange(start, end, step, dtype); }

    @Override
    public void fillRandom(Tensor dst, RandomSpec spec, Generator generator) { CopyKernels.fillRandom(dst, spec, generator); }

    // ------------------------------------------------------------------ elementwise

    @Override
    public Tensor unary(UnaryOp op, Tensor x) { return ElementwiseKernels.unary(op, x); }

    @Override
    public Tensor binary(BinaryOp op, Tensor a, Tensor b) { return ElementwiseKernels.binary(op, a, b); }

    @Override
    public void binaryInto(BinaryOp op, Tensor a, Tensor b, Tensor out) { ElementwiseKernels.binaryInto(op, a, b, out); }

    @Override
    public Tensor binaryScalar(BinaryOp op, Tensor a, double scalar) { return ElementwiseKernels.binaryScalar(op, a, scalar); }

    @Override
    public Tensor where(Tensor cond, Tensor a, Tensor b) { return ElementwiseKernels.where(cond, a, b); }

    // ------------------------------------------------------------------ reductions

    @Override
    public Tensor reduce(ReduceOp op, Tensor x, int[] dims, boolean keepDim) { return ReduceKernels.reduce(op, x, dims, keepDim); }

    @Override
    public Tensor argmax(Tensor x, int dim, boolean keepDim) { return ReduceKernels.argmax(x, dim, keepDim); }

    // ------------------------------------------------------------------ linear algebra

    @Override
    public Tensor matmul(Tensor a, Tensor b, boolean transA, boolean transB) { return Matmul.matmul(a, b, transA, transB); }

    @Override
    public void matmul(Tensor a, Tensor b, boolean transA, boolean transB, Tensor out) { Matmul.into(a, b, transA, transB, out); }

    @Override
    public void matmulAccumulate(Tensor a, Tensor b, boolean transA, boolean transB, Tensor out) { Matmul.into(a, b, transA, transB, out, true); }

    // ------------------------------------------------------------------ indexing

    @Override
    public void groupedMatmul(Tensor x, Tensor w, int[] counts, boolean transW, Tensor out) { GroupedGemm.matmul(x, w, counts, transW, out); }

    @Override
    public void groupedWeightGrad(Tensor dy, Tensor x, int[] counts, Tensor dw, boolean accumulate) { GroupedGemm.weightGrad(dy, x, counts, dw, accumulate); }

    @Override
    public FusedResults.GroupedMlp groupedSiluMlp(Tensor x, Tensor gateUp, Tensor down, int[] counts) {
        return GroupedMlpKernels.forward(this, x, gateUp, down, counts);
    }

    @Override
    public FusedResults.GroupedMlpGrads groupedSiluMlpBackward(Tensor dy, Tensor x, Tensor gateUp, Tensor down, Tensor h, int[] counts,
                                                               GradTarget dInput, GradTarget dGateUp, GradTarget dDown) {
        return GroupedMlpKernels.backward(this, dy, x, gateUp, down, h, counts, dInput, dGateUp, dDown);
    }

    @Override
    public Tensor groupedSiluMlpCombine(Tensor x, Tensor gateUp, Tensor down, int[] counts, int[] tokens, float[] weights) {
        return GroupedMlpKernels.combine(this, x, gateUp, down, counts, tokens, weights);
    }

    @Override
    public Tensor indexSelect(Tensor x, int dim, Tensor index) { return IndexKernels.indexSelect(x, dim, index); }

    @Override
    public Tensor gather(Tensor x, int dim, Tensor index) { return IndexKernels.gather(x, dim, index); }

    @Override
    public void scatterAdd(Tensor dst, int dim, Tensor index, Tensor src) { IndexKernels.scatterAdd(dst, dim, index, src); }

    @Override
    public void indexAdd(Tensor dst, int dim, Tensor index, Tensor src) { IndexKernels.indexAdd(dst, dim, index, src); }

    @Override
    public Tensor concat(List<Tensor> tensors, int dim) { return IndexKernels.concat(tensors, dim); }

    // ------------------------------------------------------------------ fused ops (CPU kernels)
    // f32 inputs run the SIMD kernels; other dtypes (F64 for gradient checks, 16-bit) take the reference
    // composition, which computes in f32/f64 with the same semantics.

    @Override
    public FusedResults.RmsNorm rmsNorm(Tensor x, Tensor weight, double eps) {
        return NormKernels.rmsNorm(x, weight, eps);
    }

    @Override
    public FusedResults.NormGrads rmsNormBackward(Tensor dy, Tensor x, Tensor weight, Tensor rstd) {
        return NormKernels.rmsNormBackward(dy, x, weight, rstd);
    }

    @Override
    public FusedResults.LayerNorm layerNorm(Tensor x, Tensor weight, Tensor bias, double eps) {
        return NormKernels.layerNorm(x, weight, bias, eps);
    }

    @Override
    public FusedResults.NormGrads layerNormBackward(Tensor dy, Tensor x, Tensor weight, Tensor mean, Tensor rstd, boolean hasBias) {
        return NormKernels.layerNormBackward(dy, x, weight, mean, rstd, hasBias);
    }

    @Override
    public Tensor rope(Tensor x, Tensor cos, Tensor sin) {
        return RopeKernels.forward(x, cos, sin);
    }

    @Override
    public Tensor ropeBackward(Tensor dy, Tensor cos, Tensor sin) {
        return RopeKernels.backward(dy, cos, sin);
    }

    @Override
    public Tensor dequantize4bit(Tensor packed, Tensor absmax, FourBitType type, int blocksize, int[] shape, DType dtype) {
        return Dequant4bitKernels.supports(dtype) ? Dequant4bitKernels.dequantize(packed, absmax, type, blocksize, shape, dtype)
                : Backend.super.dequantize4bit(packed, absmax, type, blocksize, shape, dtype);
    }

    @Override
    public Tensor dequantize4bit(Weight4bit w, DType dtype) {
        return Dequant4bitKernels.supports(dtype) ? Dequant4bitKernels.dequantize(w, dtype) : Backend.super.dequantize4bit(w, dtype);
    }

    @Override
    public Tensor matmul4bit(Tensor x, Tensor packed, Tensor absmax, FourBitType type, int blocksize, int[] shape, DType weightDtype) {
        QuantReference.checkMatmul4bit(x, shape);
        QuantReference.checkDequantize4bit(packed, absmax, blocksize, shape, weightDtype);
        return matmul4bit(x, new Weight4bit(packed, new Weight4bit.Plain(absmax), type, blocksize, shape), true, weightDtype);
    }

    /** Few rows of x · Wᵀ: the GEMV; else the GEMM decoding W a panel at a time; else dequantize + matmul. */
    @Override
    public Tensor matmul4bit(Tensor x, Weight4bit w, boolean transW, DType weightDtype) {
        QuantReference.checkMatmul4bit(x, w, transW);
        QuantReference.checkWeight4bit(w, weightDtype);
        if (transW && Gemv4bit.applies(x, w, weightDtype)) return Gemv4bit.multiply(x, w, weightDtype);
        if (Gemm4bit.applies(x, weightDtype)) return Gemm4bit.multiply(x, w, transW, weightDtype);
        return matmul(x, dequantize4bit(w, weightDtype), false, transW);
    }

    @Override
    public Tensor siluMul(Tensor gate, Tensor up) {
        return SiluMulKernels.forward(gate, up);
    }

    @Override
    public FusedResults.SiluMulGrads siluMulBackward(Tensor dy, Tensor gate, Tensor up) {
        Tensor[] d = SiluMulKernels.backward(dy, gate, up);
        return new FusedResults.SiluMulGrads(d[0], d[1]);
    }

    @Override
    public Tensor softmax(Tensor x) {
        FusedRules.checkSoftmax("softmax", x);
        return x.dtype() == DType.F32 ? SoftmaxKernels.forward(x, false) : SoftmaxKernels.forwardGeneric(x, false);
    }

    @Override
    public Tensor softmaxBackward(Tensor dy, Tensor y) {
        FusedRules.checkSoftmaxBackward("softmaxBackward", dy, y);
        return dy.dtype() == DType.F32 && y.dtype() == DType.F32 ? SoftmaxKernels.backward(dy, y, false) : SoftmaxKernels.backwardGeneric(dy, y, false);
    }

    @Override
    public Tensor logSoftmax(Tensor x) {
        FusedRules.checkSoftmax("logSoftmax", x);
        return x.dtype() == DType.F32 ? SoftmaxKernels.forward(x, true) : SoftmaxKernels.forwardGeneric(x, true);
    }

    @Override
    public Tensor logSoftmaxBackward(Tensor dy, Tensor y) {
        FusedRules.checkSoftmaxBackward("logSoftmaxBackward", dy, y);
        return dy.dtype() == DType.F32 && y.dtype() == DType.F32 ? SoftmaxKernels.backward(dy, y, true) : SoftmaxKernels.backwardGeneric(dy, y, true);
    }

    @Override
    public FusedResults.Attention attention(Tensor q, Tensor k, Tensor v, AttentionSpec spec) {
        // the fused kernels have no soft-capping (Gemma 2) yet: those calls take the reference composition
        return allF32(q, k, v) && !spec.hasSoftcap() ? AttentionKernels.forward(q, k, v, spec) : Backend.super.attention(q, k, v, spec);
    }

    @Override
    public FusedResults.AttentionGrads attentionBackward(Tensor dOut, Tensor q, Tensor k, Tensor v, Tensor out, Tensor lse, AttentionSpec spec) {
        return allF32(dOut, q, k, v, out) && !spec.hasSoftcap() ? AttentionKernels.backward(dOut, q, k, v, out, lse, spec)
                : Backend.super.attentionBackward(dOut, q, k, v, out, lse, spec);
    }

    @Override
    public Tensor pagedAttention(Tensor q, PagedKv kv, AttentionSpec spec) {
        Tensor out = AttentionKernels.paged(q, kv, spec); // decode rows and prefill chunks read the blocks in place
        return out != null ? out : Backend.super.pagedAttention(q, kv, spec);
    }

    @Override
    public FusedResults.CrossEntropy crossEntropy(Tensor logits, Tensor targets, long ignoreIndex) {
        return CrossEntropyKernels.forward(logits, targets, ignoreIndex);
    }

    @Override
    public Tensor crossEntropyBackward(Tensor dLosses, Tensor logits, Tensor targets, Tensor lse, long ignoreIndex) {
        return CrossEntropyKernels.backward(dLosses, logits, targets, lse, ignoreIndex);
    }

    @Override
    public void adamwStep(Tensor param, Tensor grad, Tensor expAvg, Tensor expAvgSq, AdamWConfig config, long step) {
        FusedRules.checkAdamW(param, grad, expAvg, expAvgSq, step);
        if (allF32(param, grad, expAvg, expAvgSq) && param.isContiguous() && expAvg.isContiguous() && expAvgSq.isContiguous()) {
            AdamWKernel.step(param, grad, expAvg, expAvgSq, config, step);
        } else {
            Backend.super.adamwStep(param, grad, expAvg, expAvgSq, config, step);
        }
    }

    private static boolean allF32(Tensor... ts) {
        for (Tensor t : ts) if (t.dtype() != DType.F32) return false;
        return true;
    }

}
