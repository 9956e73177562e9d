package io.jswift.backend.gpu;

import io.jswift.tensor.DType;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.AttentionSpec;
import io.jswift.tensor.spi.PagedKv;

/**
 * {@link io.jswift.tensor.spi.Backend#pagedAttention} for decode (one query per row) as one kernel
 * (attention_paged.c) that reads the rows' keys and values in place through their block tables; the block tables and
 * context lengths (host arrays: the scheduler owns them) are uploaded per call as small i32 tensors. Masks and
 * soft-cap and sinks as {@link Attention}; output in q's dtype, computed in f32 (f64 when an operand is F64).
 * Dims: B rows, Hq/Hkv heads, D head dim of q and k, Dv of v and the output, N blocks of blockSize positions.
 */
final class PagedAttention {
    /** Threads per work-group: one key each per tile, then a split of the head dim. */
    private static final int WG = 128;

    private final GpuDevice dev;

    PagedAttention(GpuDevice dev) {
        this.dev = dev;
    }

    /** Whether the kernel covers the call: decode rows (T = 1); prefill chunks take the gather-then-attention default. */
    static boolean covers(Tensor q) {
        return q.size(2) == 1;
    }

    /** q [B, Hq, 1, D] against each row's blocks; {@code kv.check(q, spec)} has passed. */
    Tensor decode(Tensor q, PagedKv kv, AttentionSpec spec) {
        Tensor keys = kv.keyBlocks(), values = kv.valueBlocks();
        dev.storage(q);
        dev.storage(keys);
        dev.storage(values);
        int bsz = q.size(0), hq = q.size(1), d = q.size(3), dv = kv.valueHeadDim();
        Tensor out = GpuTensors.empty(dev, q.dtype(), bsz, hq, 1, dv);
        if (out.numel() == 0) return out;
        boolean f64 = q.dtype() == DType.F64 || keys.dtype() == DType.F64 || values.dtype() == DType.F64;
        DType real = f64 ? DType.F64 : DType.F32;
        int wg = Launches.block(dev, WG), bs = kv.blockSize(), tb = tableWidth(kv);
        int[] flat = new int[bsz * tb];
        for (int r = 0; r < bsz; r++) {
            int needed = (kv.contextLens()[r] + bs - 1) / bs;
            System.arraycopy(kv.blockTables()[r], 0, flat, r * tb, needed);
        }
        Tensor table = Copies.fromHost(dev, Tensor.ofInts(flat, bsz, tb));
        Tensor lens = Copies.fromHost(dev, Tensor.ofInts(kv.contextLens().clone(), bsz));
        ProgramSource src = KernelSource.of("attention_paged.c").include("attention.h").real("REAL", real)
                .type("Q", q.dtype()).type("K", keys.dtype()).type("V", values.dtype()).type("O", q.dtype())
                .define("D", d).define("DV", dv).define("WG", wg).define("DPTV", Math.max(1, (dv + wg - 1) / wg)).build();
        long[] meta = new long[15];
        layout(q, meta, 0);
        layout(keys, meta, 5);
        layout(values, meta, 10);
        dev.launch(src, "attn_paged_decode", Dim3.of(hq, bsz), Dim3.of(wg), q, keys, values, out, table, lens, meta,
                hq, hq / kv.kvHeads(), bs, tb, GpuTensors.scalar(real, spec.scale()), spec.causal() ? 1 : 0, spec.window(),
                GpuTensors.scalar(real, spec.softcap()), Attention.sinks(dev, spec, real), spec.hasSinks() ? 1 : 0);
        return out;
    }

    /** Table entries per row of the uploaded table: the most any row needs (at least 1). */
    private static int tableWidth(PagedKv kv) {
        int w = 1;
        for (int len : kv.contextLens()) w = Math.max(w, (len + kv.blockSize() - 1) / kv.blockSize());
        return w;
    }

    /** {offset, stride 0..3} of a rank-4 tensor into {@code meta} at {@code at}. */
    private static void layout(Tensor x, long[] meta, int at) {
        meta[at] = x.offset();
        System.arraycopy(x.strides(), 0, meta, at + 1, 4);
    }
}
