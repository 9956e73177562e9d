package io.jswift.backend.gpu;

import io.jswift.tensor.DType;
import io.jswift.tensor.Device;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.AttentionRules;
import io.jswift.tensor.spi.AttentionSpec;
import io.jswift.tensor.spi.FusedResults;

import java.util.Arrays;
import java.util.function.ToIntFunction;
import java.util.function.ToLongFunction;

/**
 * Scaled-dot-product attention as flash attention kernels (attention_forward.c, attention_backward.c, with the masks
 * of attention.h): tiled, online softmax, grouped-query heads, causal and sliding-window masks with tile skipping,
 * segment masks, soft-capped scores and per-head sink logits (AttentionSpec's semantics, as the CPU), never a [T, S]
 * score matrix; values may have a head dim Dv other than the queries' and keys' D (DeepSeek's latent attention).
 * Inputs may be strided views (their layouts go to the kernels) of any floating dtype (bf16/f16 converted
 * in-kernel); compute is f32, f64 for F64 queries. Outputs follow the reference composition: output and
 * gradients in their input's dtype, log-sum-exp f32 (f64), -inf on a row that sees no key.
 * Dims: B batch, Hq/Hkv heads, T queries, S keys, D head dim of q and k, Dv of v and the output.
 */
final class Attention {
    /** Threads per owned tile row: they split the keys of a row's scores and the head dim of its output. */
    private static final int TPR = 8;
    /** (query rows, key rows) per tile, largest first; the first that fits the device's local memory wins. */
    private static final int[][] TILES = {{32, 32}, {32, 16}, {16, 32}, {16, 16}, {16, 8}, {8, 16}, {8, 8}};
    /** Static __local arrays are capped at 48 KiB on common GPUs (NVIDIA); keep a margin for the runtime. */
    private static final long LOCAL_CAP = 48 * 1024 - 1024;

    private final GpuDevice dev;

    Attention(GpuDevice dev) {
        this.dev = dev;
    }

    /**
     * Whether the kernels read every component of {@code spec}: it equals its rebuild from the components they do
     * (scale, causal, segments, window, soft-cap, sinks). A component added to AttentionSpec later (or the shared prefix,
     * which they do not read) is left at its default in the rebuild, so a call that sets it differs and takes the
     * reference composition instead of being ignored here.
     */
    static boolean covers(AttentionSpec spec) {
        return spec.equals(new AttentionSpec(spec.scale(), spec.causal(), spec.querySegments(), spec.keySegments(), spec.window(), spec.softcap(),
                spec.sinks()));
    }

    /** The sink logits [Hq] as dense {@code real} on the device (host sinks are uploaded), or a placeholder the kernels never read. */
    static Tensor sinks(GpuDevice dev, AttentionSpec spec, DType real) {
        if (!spec.hasSinks()) return GpuTensors.zeros(dev, real, 1);
        Tensor s = spec.sinks().device().equals(Device.CPU) ? Copies.fromHost(dev, spec.sinks()) : spec.sinks();
        return GpuTensors.dense(dev, s, real);
    }

    /** Tile rows: {@code bq} queries, {@code bk} keys. */
    private record Tiles(int bq, int bk) {}

    /** Segment ids on the device as dense I64 with batch strides (0 for a batch of 1), or a placeholder buffer. */
    private record Segments(Tensor q, long qStride, Tensor k, long kStride, int present) {}

    FusedResults.Attention forward(Tensor q, Tensor k, Tensor v, AttentionSpec spec) {
        AttentionRules.check(q, k, v, spec);
        onDevice(q, k, v);
        int bsz = q.size(0), hq = q.size(1), t = q.size(2), d = q.size(3), dv = v.size(3), hkv = k.size(1), s = k.size(2);
        DType real = q.dtype() == DType.F64 ? DType.F64 : DType.F32;
        Segments seg = segments(spec, bsz, t, s);
        Tensor out = GpuTensors.empty(dev, q.dtype(), bsz, hq, t, dv), lse = GpuTensors.empty(dev, real, bsz, hq, t);
        int esz = real.byteSize();
        Tiles tl = tiles("forward", headDims(d, dv), esz,
                x -> (long) (x.bq() * (d + 1) + x.bk() * (d + 1L) + x.bk() * (dv + 1L) + (long) x.bq() * x.bk()) * esz + 8L * x.bk(), Tiles::bq, t);
        ProgramSource src = common(KernelSource.of("attention_forward.c"), d, dv, real)
                .type("Q", q.dtype()).type("K", k.dtype()).type("V", v.dtype()).type("O", q.dtype()).type("LSE", real)
                .define("BQ", tl.bq()).define("BK", tl.bk()).build();
        int wg = tl.bq() * TPR;
        long[] meta = concat(layout(q), layout(k), layout(v));
        dev.launch(src, "attn_forward", new Dim3(ceilDiv(t, tl.bq()), hq, bsz), Dim3.of(wg),
                q, k, v, out, lse, seg.q(), seg.qStride(), seg.k(), seg.kStride(), meta, t, s, hq, hq / hkv,
                scale(spec, real), spec.causal() ? 1 : 0, seg.present(), spec.window(), softcap(spec, real),
                sinks(dev, spec, real), spec.hasSinks() ? 1 : 0);
        return new FusedResults.Attention(out, lse);
    }

    FusedResults.AttentionGrads backward(Tensor dOut, Tensor q, Tensor k, Tensor v, Tensor out, Tensor lse, AttentionSpec spec) {
        AttentionRules.checkBackward(dOut, q, k, v, out, lse, spec);
        onDevice(dOut, q, k, v, out, lse);
        int bsz = q.size(0), hq = q.size(1), t = q.size(2), d = q.size(3), dv = v.size(3), hkv = k.size(1), s = k.size(2);
        DType real = q.dtype() == DType.F64 ? DType.F64 : DType.F32;
        Segments seg = segments(spec, bsz, t, s);
        Tensor dq = GpuTensors.empty(dev, q.dtype(), q.shape()), dk = GpuTensors.empty(dev, k.dtype(), k.shape());
        Tensor dV = GpuTensors.empty(dev, v.dtype(), v.shape()), delta = GpuTensors.empty(dev, real, bsz, hq, t);
        int esz = real.byteSize();
        long rowsBoth = d + 1 + dv + 1; // a row of each of the two operand pairs (q or k: D, dOut or v: Dv) plus padding
        Tiles tq = tiles("backward (dq)", headDims(d, dv), esz, x -> ((x.bq() + x.bk()) * rowsBoth + (long) x.bq() * x.bk()) * esz + 8L * x.bk(), Tiles::bq, t);
        Tiles tk = tiles("backward (dk, dv)", headDims(d, dv), esz,
                x -> ((x.bk() + x.bq()) * rowsBoth + 2L * x.bk() * x.bq() + 2L * x.bq()) * esz + 8L * x.bq(), Tiles::bk, s);
        ProgramSource src = common(KernelSource.of("attention_backward.c"), d, dv, real)
                .type("Q", q.dtype()).type("K", k.dtype()).type("V", v.dtype()).type("O", out.dtype()).type("G", dOut.dtype())
                .type("L", lse.dtype()).type("DQ", q.dtype()).type("DK", k.dtype()).type("DV", v.dtype())
                .define("BQ_Q", tq.bq()).define("BK_Q", tq.bk()).define("BQ_K", tk.bq()).define("BK_K", tk.bk()).build();
        long[] lseLayout = {lse.offset(), lse.strides()[0], lse.strides()[1], lse.strides()[2]};
        long[] meta = concat(layout(q), layout(k), layout(v), layout(out), layout(dOut), lseLayout);
        long rows = (long) bsz * hq * t;
        Launches.elements(dev, src, "attn_delta", rows, dOut, out, delta, meta, hq, t, rows);
        Object scale = scale(spec, real), softcap = softcap(spec, real);
        int causal = spec.causal() ? 1 : 0, group = hq / hkv;
        int wgq = tq.bq() * TPR;
        dev.launch(src, "attn_backward_dq", new Dim3(ceilDiv(t, tq.bq()), hq, bsz), Dim3.of(wgq),
                q, k, v, dOut, lse, delta, dq, seg.q(), seg.qStride(), seg.k(), seg.kStride(), meta, t, s, hq, group,
                scale, causal, seg.present(), spec.window(), softcap);
        int wgk = tk.bk() * TPR;
        dev.launch(src, "attn_backward_dkdv", new Dim3(ceilDiv(s, tk.bk()), hkv, bsz), Dim3.of(wgk),
                q, k, v, dOut, lse, delta, dk, dV, seg.q(), seg.qStride(), seg.k(), seg.kStride(), meta, t, s, hq, group,
                scale, causal, seg.present(), spec.window(), softcap);
        return new FusedResults.AttentionGrads(dq, dk, dV);
    }

    // ------------------------------------------------------------------ launch parameters

    private static KernelSource common(KernelSource src, int d, int dv, DType real) {
        return src.include("attention.h").real("REAL", real).define("D", d).define("LD", d + 1).define("TPR", TPR)
                .define("DPT", Math.max(1, ceilDiv(d, TPR))).define("DV", dv).define("LDV", dv + 1).define("DPTV", Math.max(1, ceilDiv(dv, TPR)));
    }

    /**
     * The largest tiles whose __local arrays ({@code bytes}) fit the device and whose work-group (the owned rows
     * times {@link #TPR}) the device accepts, with no more owned rows than {@code length} needs (decode: T = 1
     * would leave most of a 32-row work-group idle).
     */
    private Tiles tiles(String kernel, String headDims, int esz, ToLongFunction<Tiles> bytes, ToIntFunction<Tiles> ownedRows, int length) {
        long budget = Math.min(dev.info().sharedMemBytes(), LOCAL_CAP);
        int needed = Math.max(8, Integer.highestOneBit(Math.max(1, length - 1)) << 1);
        for (int[] c : TILES) {
            Tiles t = new Tiles(c[0], c[1]);
            int owned = ownedRows.applyAsInt(t);
            if (owned > needed || bytes.applyAsLong(t) > budget || (long) owned * TPR > dev.info().maxThreadsPerBlock()) continue;
            return t;
        }
        throw new UnsupportedOperationException("attention " + kernel + ": " + headDims + " in " + (esz == 8 ? "f64" : "f32")
                + " needs more local memory than " + dev.info() + " has (" + budget + " bytes usable)");
    }

    /** "head dim D", or "head dims D (q, k) and Dv (v)" when they differ: for the error of {@link #tiles}. */
    private static String headDims(int d, int dv) {
        return d == dv ? "head dim " + d : "head dims " + d + " (q, k) and " + dv + " (v)";
    }

    private static Object scale(AttentionSpec spec, DType real) {
        return real == DType.F64 ? (Object) spec.scale() : (Object) (float) spec.scale();
    }

    /** The soft-cap (0: none) in the compute type. */
    private static Object softcap(AttentionSpec spec, DType real) {
        return real == DType.F64 ? (Object) spec.softcap() : (Object) (float) spec.softcap();
    }

    /** {offset, stride b, stride h, stride t, stride d} of a [B, H, T, D] tensor. */
    private static long[] layout(Tensor x) {
        long[] st = x.strides();
        return new long[]{x.offset(), st[0], st[1], st[2], st[3]};
    }

    private static long[] concat(long[]... parts) {
        return Arrays.stream(parts).flatMapToLong(Arrays::stream).toArray();
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }

    // ------------------------------------------------------------------ validation and masks

    private void onDevice(Tensor... ts) {
        for (Tensor t : ts) dev.storage(t);
    }

    private Segments segments(AttentionSpec spec, int bsz, int t, int s) {
        if (!spec.hasSegments()) {
            Tensor none = GpuTensors.zeros(dev, DType.I64, 1); // never read: the kernels test hasSeg first
            return new Segments(none, 0, none, 0, 0);
        }
        Tensor qs = segment(spec.querySegments()), ks = segment(spec.keySegments());
        return new Segments(qs, qs.size(0) == 1 ? 0 : t, ks, ks.size(0) == 1 ? 0 : s, 1);
    }

    /** Segment ids [B or 1, len] (checked by AttentionRules) as dense I64 on the device; host ids (the decoder builds them there) are uploaded. */
    private Tensor segment(Tensor seg) {
        Tensor onDevice = seg.device().equals(Device.CPU) ? Copies.fromHost(dev, seg) : seg;
        return GpuTensors.dense(dev, onDevice, DType.I64);
    }
}
