package io.jswift.backend.opencl;

import io.jswift.tensor.DType;
import io.jswift.tensor.Device;
import io.jswift.tensor.Generator;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.AdamWConfig;
import io.jswift.tensor.spi.AttentionSpec;
import io.jswift.tensor.spi.Backend;
import io.jswift.tensor.spi.BinaryOp;
import io.jswift.tensor.spi.FusedResults;
import io.jswift.tensor.spi.RandomSpec;
import io.jswift.tensor.spi.ReduceOp;
import io.jswift.tensor.spi.UnaryOp;

import java.util.List;

/**
 * The OpenCL backend of one device. This class only dispatches; each op family has its own class and
 * kernel file (copy, elementwise, reduce, index, gemm, fused, attention).
 */
final class OpenClBackend implements Backend {
    private final ClContext ctx;
    private final ClElementwise elementwise;
    private final ClReduce reduce;
    private final ClIndex index;
    private final ClGemm gemm;
    private final ClFused fused;
    private final ClAttention attention;

    OpenClBackend(ClContext ctx) {
        this.ctx = ctx;
        this.elementwise = new ClElementwise(ctx);
        this.reduce = new ClReduce(ctx);
        this.index = new ClIndex(ctx);
        this.gemm = new ClGemm(ctx);
        this.fused = new ClFused(ctx, this);
        this.attention = new ClAttention(ctx, this);
    }

    ClContext context() { return ctx; }

    @Override
    public Device device() { return ctx.device(); }

    // ------------------------------------------------------------------ memory

    @Override
    public Tensor allocate(DType dtype, int... shape) { return ClTensors.allocate(ctx, dtype, shape); }

    @Override
    public Tensor fromHost(Tensor host) {
        if (!host.device().equals(Device.CPU)) throw new IllegalArgumentException("fromHost: tensor " + host + " is not on the host");
        return ClCopy.fromHost(ctx, host);
    }

    @Override
    public Tensor toHost(Tensor tensor) { return ClCopy.toHost(ctx, tensor); }

    @Override
    public void copy(Tensor src, Tensor dst) { ClCopy.copy(ctx, src, dst); }

    @Override
    public void fill(Tensor dst, double value) { ClCopy.fill(ctx, dst, value); }

    @Override
    public Tensor arange(double start, double end, double step, DType dtype) {
        // tiny and exact on the host: the CPU backend's arange defines the values
        return fromHost(io.jswift.tensor.Backends.forDevice(Device.CPU).arange(start, end, step, dtype));
    }

    @Override
    public void fillRandom(Tensor dst, RandomSpec spec, Generator generator) {
        // the SPI requires identical values on every backend for a generator state: draw on the host, upload
        Tensor host = Tensor.zeros(dst.dtype(), dst.shape());
        io.jswift.tensor.Backends.forDevice(Device.CPU).fillRandom(host, spec, generator);
        copy(fromHost(host), dst);
    }

    // ------------------------------------------------------------------ elementwise

    @Override
    public Tensor unary(UnaryOp op, Tensor x) { return elementwise.unary(op, x); }

    @Override
    public Tensor binary(BinaryOp op, Tensor a, Tensor b) { return elementwise.binary(op, a, b); }

    @Override
    public Tensor binaryScalar(BinaryOp op, Tensor a, double scalar) { return elementwise.binaryScalar(op, a, scalar); }

    @Override
    public Tensor where(Tensor cond, Tensor a, Tensor b) { return elementwise.where(cond, a, b); }

    // ------------------------------------------------------------------ reductions

    @Override
    public Tensor reduce(ReduceOp op, Tensor x, int[] dims, boolean keepDim) { return reduce.reduce(op, x, dims, keepDim); }

    @Override
    public Tensor argmax(Tensor x, int dim, boolean keepDim) { return reduce.argmax(x, dim, keepDim); }

    // ------------------------------------------------------------------ linear algebra

    @Override
    public Tensor matmul(Tensor a, Tensor b, boolean transA, boolean transB) { return gemm.matmul(a, b, transA, transB); }

    @Override
    public void matmul(Tensor a, Tensor b, boolean transA, boolean transB, Tensor out) { gemm.matmulInto(a, b, transA, transB, out); }

    // ------------------------------------------------------------------ indexing

    @Override
    public Tensor indexSelect(Tensor x, int dim, Tensor idx) { return index.indexSelect(x, dim, idx); }

    @Override
    public Tensor gather(Tensor x, int dim, Tensor idx) { return index.gather(x, dim, idx); }

    @Override
    public void scatterAdd(Tensor dst, int dim, Tensor idx, Tensor src) { index.scatterAdd(dst, dim, idx, src); }

    @Override
    public void indexAdd(Tensor dst, int dim, Tensor idx, Tensor src) { index.indexAdd(dst, dim, idx, src); }

    @Override
    public Tensor concat(List<Tensor> tensors, int dim) { return index.concat(tensors, dim); }

    // ------------------------------------------------------------------ fused ops

    @Override
    public FusedResults.RmsNorm rmsNorm(Tensor x, Tensor weight, double eps) { return fused.rmsNorm(x, weight, eps); }

    @Override
    public FusedResults.NormGrads rmsNormBackward(Tensor dy, Tensor x, Tensor weight, Tensor rstd) {
        return fused.rmsNormBackward(dy, x, weight, rstd);
    }

    @Override
    public FusedResults.LayerNorm layerNorm(Tensor x, Tensor weight, Tensor bias, double eps) { return fused.layerNorm(x, weight, bias, eps); }

    @Override
    public FusedResults.NormGrads layerNormBackward(Tensor dy, Tensor x, Tensor weight, Tensor mean, Tensor rstd, boolean hasBias) {
        return fused.layerNormBackward(dy, x, weight, mean, rstd, hasBias);
    }

    @Override
    public Tensor rope(Tensor x, Tensor cos, Tensor sin) { return fused.rope(x, cos, sin); }

    @Override
    public Tensor ropeBackward(Tensor dy, Tensor cos, Tensor sin) { return fused.ropeBackward(dy, cos, sin); }

    @Override
    public Tensor siluMul(Tensor gate, Tensor up) { return fused.siluMul(gate, up); }

    @Override
    public FusedResults.SiluMulGrads siluMulBackward(Tensor dy, Tensor gate, Tensor up) { return fused.siluMulBackward(dy, gate, up); }

    @Override
    public Tensor softmax(Tensor x) { return fused.softmax(x, false); }

    @Override
    public Tensor softmaxBackward(Tensor dy, Tensor y) { return fused.softmaxBackward(dy, y, false); }

    @Override
    public Tensor logSoftmax(Tensor x) { return fused.softmax(x, true); }

    @Override
    public Tensor logSoftmaxBackward(Tensor dy, Tensor y) { return fused.softmaxBackward(dy, y, true); }

    // The attention kernels have no sliding window nor soft-capping yet: those calls take the reference composition on the device.
    @Override
    public FusedResults.Attention attention(Tensor q, Tensor k, Tensor v, AttentionSpec spec) {
        return spec.hasWindow() || spec.hasSoftcap() ? Backend.super.attention(q, k, v, spec) : attention.forward(q, k, v, spec);
    }

    @Override
    public FusedResults.AttentionGrads attentionBackward(Tensor dOut, Tensor q, Tensor k, Tensor v, Tensor out, Tensor lse, AttentionSpec spec) {
        return spec.hasWindow() || spec.hasSoftcap() ? Backend.super.attentionBackward(dOut, q, k, v, out, lse, spec)
                : attention.backward(dOut, q, k, v, out, lse, spec);
    }

    @Override
    public FusedResults.CrossEntropy crossEntropy(Tensor logits, Tensor targets, long ignoreIndex) {
        return fused.crossEntropy(logits, targets, ignoreIndex);
    }

    @Override
    public Tensor crossEntropyBackward(Tensor dLosses, Tensor logits, Tensor targets, Tensor lse, long ignoreIndex) {
        return fused.crossEntropyBackward(dLosses, logits, targets, lse, ignoreIndex);
    }

    @Override
    public void adamwStep(Tensor param, Tensor grad, Tensor expAvg, Tensor expAvgSq, AdamWConfig config, long step) {
        fused.adamwStep(param, grad, expAvg, expAvgSq, config, step);
    }
}
