package io.jswift.backend.cuda;

import io.jswift.backend.gpu.FastPaths;
import io.jswift.backend.gpu.GpuDevice;
import io.jswift.backend.gpu.GpuTensors;
import io.jswift.tensor.DType;
import io.jswift.tensor.Device;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.AttentionRules;
import io.jswift.tensor.spi.AttentionSpec;
import io.jswift.tensor.spi.FusedResults;

import java.lang.foreign.MemorySegment;

/**
 * GpuBackend's attention fast path on CUDA: tensors and {@link AttentionSpec} in, {@link CudaFlashAttention}'s
 * views and masks out. Covered: what {@link CudaFlashAttention#supports} says, with the head dim contiguous in
 * every operand (the kernels load rows of D); segment ids may live on the host (the decoder builds them there) and
 * are uploaded. Returns null otherwise, and the portable kernels run.
 * Dims: B batch, Hq/Hkv heads, T queries, S keys, D head dim.
 */
final class FlashAttentionPath implements FastPaths.Attention {
    private final CudaFlashAttention kernels;

    FlashAttentionPath(CudaDriver driver) { this.kernels = new CudaFlashAttention(driver); }

    @Override
    public FusedResults.Attention forward(GpuDevice dev, Tensor q, Tensor k, Tensor v, AttentionSpec spec) {
        if (!covered(spec, q, k, v)) return null;
        CudaFlashAttention.View qv = view(dev, q), kv = view(dev, k), vv = view(dev, v);
        if (!CudaFlashAttention.supports(q.dtype(), q.size(3), spec.hasSoftcap(), qv, kv, vv)) return null;
        int b = q.size(0), hq = q.size(1), t = q.size(2), d = q.size(3);
        Tensor out = GpuTensors.empty(dev, q.dtype(), b, hq, t, d), lse = GpuTensors.empty(dev, DType.F32, b, hq, t);
        kernels.forward(q.dtype(), shape(q, k), qv, kv, vv, mask(dev, spec, b, t, k.size(2)),
                dev.storage(out).buffer(), dev.storage(lse).buffer());
        return new FusedResults.Attention(out, lse);
    }

    @Override
    public FusedResults.AttentionGrads backward(GpuDevice dev, Tensor dOut, Tensor q, Tensor k, Tensor v, Tensor out, Tensor lse,
                                                AttentionSpec spec) {
        if (!covered(spec, q, k, v, out, dOut) || lse.dtype() != DType.F32) return null;
        CudaFlashAttention.View qv = view(dev, q), kv = view(dev, k), vv = view(dev, v), ov = view(dev, out), gv = view(dev, dOut);
        if (!CudaFlashAttention.supports(q.dtype(), q.size(3), spec.hasSoftcap(), qv, kv, vv, ov, gv)) return null;
        long[] ls = lse.strides();
        CudaFlashAttention.View lv = new CudaFlashAttention.View(dev.storage(lse).buffer(), lse.offset(), ls[0], ls[1], ls[2]);
        Tensor dq = GpuTensors.empty(dev, q.dtype(), q.shape()), dk = GpuTensors.empty(dev, k.dtype(), k.shape());
        Tensor dv = GpuTensors.empty(dev, v.dtype(), v.shape());
        kernels.backward(q.dtype(), shape(q, k), qv, kv, vv, ov, gv, lv, mask(dev, spec, q.size(0), q.size(2), k.size(2)),
                dev.storage(dq).buffer(), dev.storage(dk).buffer(), dev.storage(dv).buffer());
        return new FusedResults.AttentionGrads(dq, dk, dv);
    }

    /**
     * One bf16/f16 dtype over all operands, each non-empty with its head dim contiguous, v's head dim that of q (ts[0] is
     * q, ts[2] v), and no soft-cap, sinks nor shared prefix (the tensor-core kernels have none: such calls take the
     * portable kernels, which do). Sliding windows are covered:
     * {@link #mask} hands them to the kernels.
     */
    static boolean covered(AttentionSpec spec, Tensor... ts) {
        DType dtype = ts[0].dtype();
        if (spec.hasSoftcap() || spec.hasSinks() || spec.sharedPrefix() || (dtype != DType.BF16 && dtype != DType.F16)) return false;
        if (ts[2].size(3) != ts[0].size(3)) return false; // DeepSeek's latent attention (Dv != D): the portable kernels do it
        for (Tensor t : ts) {
            // empty operands (no queries or no keys) stay with the portable kernels, which define their results
            if (t.dtype() != dtype || t.stride(3) != 1 || t.numel() == 0) return false;
        }
        return true;
    }

    private static CudaFlashAttention.View view(GpuDevice dev, Tensor x) {
        long[] st = x.strides();
        return new CudaFlashAttention.View(dev.storage(x).buffer(), x.offset(), st[0], st[1], st[2]);
    }

    private static CudaFlashAttention.Shape shape(Tensor q, Tensor k) {
        return new CudaFlashAttention.Shape(q.size(0), q.size(1), k.size(1), q.size(2), k.size(2), q.size(3));
    }

    /** The spec's masks for the kernels; {@code dev} is used only to upload segment ids. */
    static CudaFlashAttention.Mask mask(GpuDevice dev, AttentionSpec spec, int b, int t, int s) {
        CudaFlashAttention.Segments seg = null;
        if (spec.hasSegments()) {
            Tensor qs = segments(dev, "querySegments", spec.querySegments(), b, t), ks = segments(dev, "keySegments", spec.keySegments(), b, s);
            seg = new CudaFlashAttention.Segments(dev.storage(qs).buffer(), 0, qs.size(0) == 1 ? 0 : t,
                    dev.storage(ks).buffer(), 0, ks.size(0) == 1 ? 0 : s);
        }
        return new CudaFlashAttention.Mask(spec.scale(), spec.causal(), spec.window(), seg);
    }

    /** Segment ids [B or 1, len] as dense I64 on the device, uploaded from the host when they live there. */
    private static Tensor segments(GpuDevice dev, String name, Tensor ids, int b, int len) {
        AttentionRules.checkSegments(name, ids, b, len);
        if (!ids.device().equals(Device.CPU)) return GpuTensors.dense(dev, ids, DType.I64);
        Tensor host = ids.to(DType.I64).contiguous();
        Tensor onDevice = GpuTensors.empty(dev, DType.I64, host.shape());
        MemorySegment src = host.hostSegment().asSlice(DType.I64.byteSize(host.offset()), DType.I64.byteSize(host.numel()));
        if (src.byteSize() > 0) dev.driver().copyFromHost(src, dev.storage(onDevice).buffer(), 0);
        return onDevice;
    }
}
