package io.jswift.backend.gpu;

import io.jswift.tensor.Backends;
import io.jswift.tensor.DType;
import io.jswift.tensor.Device;
import io.jswift.tensor.Generator;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.quant.FourBitType;
import io.jswift.tensor.quant.Weight4bit;
import io.jswift.tensor.spi.AdamWConfig;
import io.jswift.tensor.spi.AttentionRules;
import io.jswift.tensor.spi.AttentionSpec;
import io.jswift.tensor.spi.Backend;
import io.jswift.tensor.spi.BinaryOp;
import io.jswift.tensor.spi.FusedResults;
import io.jswift.tensor.spi.FusedRules;
import io.jswift.tensor.spi.PagedKv;
import io.jswift.tensor.spi.QuantReference;
import io.jswift.tensor.spi.RandomSpec;
import io.jswift.tensor.spi.ReduceOp;
import io.jswift.tensor.spi.UnaryOp;

import java.util.List;

/**
 * The device backend of every GPU API, written once over a {@link Driver}: the OpenCL and CUDA backends are this
 * class around their driver. It only dispatches; each op family has its own class and kernel file (copies,
 * elementwise, reductions, indexing, gemm, norms, softmax, rope, silu-mul, cross-entropy, AdamW, attention, 4-bit weights).
 */
public final class GpuBackend implements Backend {
    private final GpuDevice dev;
    private final Elementwise elementwise;
    private final Reductions reductions;
    private final Indexing indexing;
    private final Gemm gemm;
    private final Norms norms;
    private final Softmax softmax;
    private final Rope rope;
    private final SiluMul siluMul;
    private final CrossEntropy crossEntropy;
    private final AdamW adamw;
    private final Attention attention;
    private final PagedAttention paged;
    private final Quant4bit quant4bit;

    private final FastPaths fast;

    /** The portable kernels only. */
    public GpuBackend(Driver driver) {
        this(driver, FastPaths.NONE);
    }

    /** The driver's {@code fast} paths first, the portable kernels for what they do not cover. */
    public GpuBackend(Driver driver, FastPaths fast) {
        this.dev = new GpuDevice(driver);
        this.fast = fast;
        this.elementwise = new Elementwise(dev);
        this.reductions = new Reductions(dev);
        this.indexing = new Indexing(dev);
        this.gemm = new Gemm(dev, fast.matmul());
        this.norms = new Norms(dev);
        this.softmax = new Softmax(dev);
        this.rope = new Rope(dev);
        this.siluMul = new SiluMul(dev);
        this.crossEntropy = new CrossEntropy(dev);
        this.adamw = new AdamW(dev);
        this.attention = new Attention(dev);
        this.paged = new PagedAttention(dev);
        this.quant4bit = new Quant4bit(dev, gemm);
    }

    /** The opened device: its driver, info and buffer pool. */
    public GpuDevice gpu() { return dev; }

    @Override
    public Device device() { return dev.device(); }

    // ------------------------------------------------------------------ memory

    @Override
    public Tensor allocate(DType dtype, int... shape) { return GpuTensors.zeros(dev, dtype, shape); }

    @Override
    public Tensor fromHost(Tensor host) {
        if (!host.device().equals(Device.CPU)) throw new IllegalArgumentException("fromHost: tensor " + host + " is not on the host");
        return Copies.fromHost(dev, host);
    }

    @Override
    public Tensor toHost(Tensor tensor) { return Copies.toHost(dev, tensor); }

    @Override
    public void copy(Tensor src, Tensor dst) { Copies.copy(dev, src, dst); }

    @Override
    public void fill(Tensor dst, double value) { Copies.fill(dev, dst, value); }

    @Override
    public Tensor arange(double start, double end, double step, DType dtype) {
        // tiny and exact on the host: the CPU backend's arange defines the values
        return fromHost(Backends.forDevice(Device.CPU).arange(start, end, step, dtype));
    }

    @Override
    public void fillRandom(Tensor dst, RandomSpec spec, Generator generator) {
        // the SPI requires identical values on every backend for a generator state: draw on the host, upload
        Tensor host = Tensor.zeros(dst.dtype(), dst.shape());
        Backends.forDevice(Device.CPU).fillRandom(host, spec, generator);
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
    public Tensor reduce(ReduceOp op, Tensor x, int[] dims, boolean keepDim) { return reductions.reduce(op, x, dims, keepDim); }

    @Override
    public Tensor argmax(Tensor x, int dim, boolean keepDim) { return reductions.argmax(x, dim, keepDim); }

    // ------------------------------------------------------------------ linear algebra

    @Override
    public Tensor matmul(Tensor a, Tensor b, boolean transA, boolean transB) { return gemm.matmul(a, b, transA, transB); }

    @Override
    public void matmul(Tensor a, Tensor b, boolean transA, boolean transB, Tensor out) { gemm.matmulInto(a, b, transA, transB, out); }

    // ------------------------------------------------------------------ 4-bit weights (bitsandbytes)

    // (a dtype the kernels do not take goes to the reference from the overload it came in by: the references of the
    // Weight4bit ops call the plain ones and back)
    @Override
    public Tensor dequantize4bit(Tensor packed, Tensor absmax, FourBitType type, int blocksize, int[] shape, DType dtype) {
        QuantReference.checkDequantize4bit(packed, absmax, blocksize, shape, dtype);
        if (!Quant4bit.supports(dtype)) return Backend.super.dequantize4bit(packed, absmax, type, blocksize, shape, dtype);
        return quant4bit.dequantize(new Weight4bit(packed, new Weight4bit.Plain(absmax), type, blocksize,
                shapeOf2d(shape)), dtype).reshape(shape);
    }

    @Override
    public Tensor dequantize4bit(Weight4bit w, DType dtype) {
        return Quant4bit.supports(dtype) ? quant4bit.dequantize(w, dtype) : Backend.super.dequantize4bit(w, dtype);
    }

    @Override
    public Tensor matmul4bit(Tensor x, Tensor packed, Tensor absmax, FourBitType type, int blocksize, int[] shape, DType weightDtype) {
        QuantReference.checkMatmul4bit(x, shape);
        QuantReference.checkDequantize4bit(packed, absmax, blocksize, shape, weightDtype);
        if (!Quant4bit.supports(weightDtype)) return Backend.super.matmul4bit(x, packed, absmax, type, blocksize, shape, weightDtype);
        return quant4bit.matmul(x, new Weight4bit(packed, new Weight4bit.Plain(absmax), type, blocksize, shape), true, weightDtype);
    }

    @Override
    public Tensor matmul4bit(Tensor x, Weight4bit w, boolean transW, DType weightDtype) {
        QuantReference.checkMatmul4bit(x, w, transW);
        QuantReference.checkWeight4bit(w, weightDtype);
        return Quant4bit.supports(weightDtype) ? quant4bit.matmul(x, w, transW, weightDtype) : Backend.super.matmul4bit(x, w, transW, weightDtype);
    }

    /** Any shape as the 2-D [1, n] a Weight4bit holds (dequantize decodes the flat element order either way). */
    private static int[] shapeOf2d(int[] shape) {
        long n = 1;
        for (int d : shape) n *= d;
        return new int[]{1, Math.toIntExact(n)};
    }

    // ------------------------------------------------------------------ indexing

    @Override
    public Tensor indexSelect(Tensor x, int dim, Tensor idx) { return indexing.indexSelect(x, dim, idx); }

    @Override
    public Tensor gather(Tensor x, int dim, Tensor idx) { return indexing.gather(x, dim, idx); }

    @Override
    public void scatterAdd(Tensor dst, int dim, Tensor idx, Tensor src) { indexing.scatterAdd(dst, dim, idx, src); }

    @Override
    public void indexAdd(Tensor dst, int dim, Tensor idx, Tensor src) { indexing.indexAdd(dst, dim, idx, src); }

    @Override
    public Tensor concat(List<Tensor> tensors, int dim) { return indexing.concat(tensors, dim); }

    // ------------------------------------------------------------------ fused ops

    @Override
    public FusedResults.RmsNorm rmsNorm(Tensor x, Tensor weight, double eps) { return norms.rmsNorm(x, weight, eps); }

    @Override
    public FusedResults.NormGrads rmsNormBackward(Tensor dy, Tensor x, Tensor weight, Tensor rstd) {
        return norms.rmsNormBackward(dy, x, weight, rstd);
    }

    @Override
    public FusedResults.LayerNorm layerNorm(Tensor x, Tensor weight, Tensor bias, double eps) { return norms.layerNorm(x, weight, bias, eps); }

    @Override
    public FusedResults.NormGrads layerNormBackward(Tensor dy, Tensor x, Tensor weight, Tensor mean, Tensor rstd, boolean hasBias) {
        return norms.layerNormBackward(dy, x, weight, mean, rstd, hasBias);
    }

    @Override
    public Tensor rope(Tensor x, Tensor cos, Tensor sin) { return rope.apply(x, cos, sin, false); }

    @Override
    public Tensor ropeBackward(Tensor dy, Tensor cos, Tensor sin) { return rope.apply(dy, cos, sin, true); }

    @Override
    public Tensor siluMul(Tensor gate, Tensor up) { return siluMul.forward(gate, up); }

    @Override
    public FusedResults.SiluMulGrads siluMulBackward(Tensor dy, Tensor gate, Tensor up) { return siluMul.backward(dy, gate, up); }

    @Override
    public Tensor softmax(Tensor x) { return softmax.forward(x, false); }

    @Override
    public Tensor softmaxBackward(Tensor dy, Tensor y) { return softmax.backward(dy, y, false); }

    @Override
    public Tensor logSoftmax(Tensor x) { return softmax.forward(x, true); }

    @Override
    public Tensor logSoftmaxBackward(Tensor dy, Tensor y) { return softmax.backward(dy, y, true); }

    // The portable kernels cover every AttentionSpec mask and the soft-cap; a fast path declines what it does not cover.
    // A spec component they do not know (Attention.covers) takes the reference composition rather than being ignored.
    @Override
    public FusedResults.Attention attention(Tensor q, Tensor k, Tensor v, AttentionSpec spec) {
        if (!Attention.covers(spec)) return Backend.super.attention(q, k, v, spec);
        if (fast.attention() != null) {
            AttentionRules.check(q, k, v, spec);
            FusedResults.Attention r = fast.attention().forward(dev, q, k, v, spec);
            if (r != null) return r;
        }
        return attention.forward(q, k, v, spec);
    }

    @Override
    public FusedResults.AttentionGrads attentionBackward(Tensor dOut, Tensor q, Tensor k, Tensor v, Tensor out, Tensor lse, AttentionSpec spec) {
        if (!Attention.covers(spec)) return Backend.super.attentionBackward(dOut, q, k, v, out, lse, spec);
        if (fast.attention() != null) {
            AttentionRules.checkBackward(dOut, q, k, v, out, lse, spec);
            FusedResults.AttentionGrads r = fast.attention().backward(dev, dOut, q, k, v, out, lse, spec);
            if (r != null) return r;
        }
        return attention.backward(dOut, q, k, v, out, lse, spec);
    }

    // Decode rows read their blocks in place (PagedAttention); prefill chunks gather, then run the attention kernels.
    @Override
    public Tensor pagedAttention(Tensor q, PagedKv kv, AttentionSpec spec) {
        kv.check(q, spec);
        if (!PagedAttention.covers(q) || !Attention.covers(spec)) return Backend.super.pagedAttention(q, kv, spec);
        return paged.decode(q, kv, spec);
    }

    @Override
    public FusedResults.CrossEntropy crossEntropy(Tensor logits, Tensor targets, long ignoreIndex) {
        return crossEntropy.forward(logits, targets, ignoreIndex);
    }

    @Override
    public Tensor crossEntropyBackward(Tensor dLosses, Tensor logits, Tensor targets, Tensor lse, long ignoreIndex) {
        return crossEntropy.backward(dLosses, logits, targets, lse, ignoreIndex);
    }

    @Override
    public void adamwStep(Tensor param, Tensor grad, Tensor expAvg, Tensor expAvgSq, AdamWConfig config, long step) {
        if (fast.adamw() != null) {
            FusedRules.checkAdamW(param, grad, expAvg, expAvgSq, step);
            if (fast.adamw().step(dev, param, grad, expAvg, expAvgSq, config, step)) return;
        }
        adamw.step(param, grad, expAvg, expAvgSq, config, step);
    }
}
