package io.jswift.backend.cpu.gemm;

import io.jswift.tensor.DType;
import io.jswift.tensor.HostAccess;

import java.lang.foreign.MemorySegment;

/**
 * Packs blocks of A and B into the contiguous panel layouts the micro-kernel streams through
 * (Goto & van de Geijn, "Anatomy of High-Performance Matrix Multiplication", 2008): A as MR-row
 * panels [k][MR], B as NR-column panels [k][NR], zero-padded at the edges. Conversion of bf16/f16
 * operands to f32 happens here, once per block. Contiguous runs are first copied into a heap row
 * (one bulk copy), then scattered with plain array loops the JIT vectorizes.
 */
final class Packing {
    private static final ThreadLocal<float[]> RUN = ThreadLocal.withInitial(() -> new float[8192]);

    private Packing() {}

    private static float[] run(int n) {
        float[] r = RUN.get();
        if (r.length < n) {
            r = new float[n];
            RUN.set(r);
        }
        return r;
    }

    /** A[i0 .. i0+mc) × [k0 .. k0+kc) → buf as ceil(mc/MR) panels of kc×MR. */
    static void packA(Operand a, int i0, int mc, int k0, int kc, float[] buf, int mr) {
        int panels = (mc + mr - 1) / mr;
        boolean kContiguous = a.colStride() == 1 || a.rowStride() != 1;
        float[] tmp = run(Math.max(kc, mr));
        for (int p = 0; p < panels; p++) {
            int base = p * kc * mr;
            int rows = Math.min(mr, mc - p * mr);
            if (kContiguous) {
                for (int i = 0; i < rows; i++) {
                    a.readRun(i0 + p * mr + i, k0, kc, true, tmp, 0, 1);
                    for (int k = 0, d = base + i; k < kc; k++, d += mr) buf[d] = tmp[k];
                }
            } else { // column-major A: runs along rows are contiguous
                for (int k = 0; k < kc; k++) a.readRun(i0 + p * mr, k0 + k, rows, false, buf, base + k * mr, 1);
            }
            if (rows < mr) {
                for (int k = 0; k < kc; k++) for (int i = rows; i < mr; i++) buf[base + k * mr + i] = 0;
            }
        }
    }

    /** B[k0 .. k0+kc) × [j0 .. j0+nc) → buf[bufOffset ...] as ceil(nc/NR) panels of kc×NR. */
    static void packB(Operand b, int k0, int kc, int j0, int nc, float[] buf, int bufOffset, int nr) {
        int panels = (nc + nr - 1) / nr;
        if (b.colStride() == 1) { // row-major B: each k row is one contiguous run over all nc columns
            float[] tmp = run(nc);
            for (int k = 0; k < kc; k++) {
                b.readRun(k0 + k, j0, nc, true, tmp, 0, 1);
                for (int p = 0; p < panels; p++) {
                    int cols = Math.min(nr, nc - p * nr), dst = bufOffset + p * kc * nr + k * nr;
                    System.arraycopy(tmp, p * nr, buf, dst, cols);
                    for (int j = cols; j < nr; j++) buf[dst + j] = 0;
                }
            }
            return;
        }
        if ((b.type() == DType.BF16 || b.type() == DType.F32) && b.rowStride() == 1 && PanelTranspose.SUPPORTED
                && nr % PanelTranspose.ROWS == 0) {
            packTransposedColumns(b, k0, kc, j0, nc, buf, bufOffset, nr);
            return;
        }
        float[] tmp = run(kc);
        for (int p = 0; p < panels; p++) { // e.g. B = Wᵀ of a row-major weight: runs along k are contiguous
            int base = bufOffset + p * kc * nr;
            int cols = Math.min(nr, nc - p * nr);
            for (int j = 0; j < cols; j++) {
                b.readRun(k0, j0 + p * nr + j, kc, false, tmp, 0, 1);
                for (int k = 0, d = base + j; k < kc; k++, d += nr) buf[d] = tmp[k];
            }
            if (cols < nr) {
                for (int k = 0; k < kc; k++) for (int j = cols; j < nr; j++) buf[base + k * nr + j] = 0;
            }
        }
    }

    private static final ThreadLocal<short[]> BF16_ROWS = ThreadLocal.withInitial(() -> new short[0]);

    /**
     * {@link #packB} for f32 or bf16 B with contiguous columns — B = Wᵀ of a weight W [N, K], every Linear layer:
     * the panel's NR weight rows are bulk-copied to a heap array (memcpy speed), then transposed 8 rows × 8 k at a
     * time in vector registers ({@link PanelTranspose}), bf16 widened to f32 on the way. Element by element through
     * segment reads and a stride-NR scatter this took ~1.2 ns per weight element, a quarter of a 128-token bf16
     * prefill on AVX2, and held a LoRA step of an f32 model at 26-30 instead of 45-49 tok/s.
     */
    private static void packTransposedColumns(Operand b, int k0, int kc, int j0, int nc, float[] buf, int bufOffset, int nr) {
        boolean bf16 = b.type() == DType.BF16;
        short[] halves = bf16 ? bf16Rows(nr * kc) : null;
        float[] floats = bf16 ? null : run(nr * kc);
        MemorySegment seg = b.segment();
        int panels = (nc + nr - 1) / nr;
        for (int p = 0; p < panels; p++) {
            int base = bufOffset + p * kc * nr;
            int cols = Math.min(nr, nc - p * nr);
            for (int j = 0; j < cols; j++) {
                long start = b.offset() + k0 + (long) (j0 + p * nr + j) * b.colStride();
                if (bf16) MemorySegment.copy(seg, HostAccess.I16, start * 2, halves, j * kc, kc);
                else MemorySegment.copy(seg, HostAccess.F32, start * 4, floats, j * kc, kc);
            }
            int k = 0;
            if (cols == nr) {
                for (int g = 0; g < nr; g += PanelTranspose.ROWS) {
                    k = bf16 ? PanelTranspose.panel(halves, g * kc, kc, buf, base + g, nr) : PanelTranspose.panel(floats, g * kc, kc, buf, base + g, nr);
                }
            }
            for (int j = 0; j < nr; j++) { // the k tail, or every k of a partial panel (zeros past its columns)
                int src = j * kc;
                for (int kk = k, d = base + k * nr + j; kk < kc; kk++, d += nr) {
                    buf[d] = j >= cols ? 0 : bf16 ? Float.intBitsToFloat(halves[src + kk] << 16) : floats[src + kk];
                }
            }
        }
    }

    private static short[] bf16Rows(int n) {
        short[] rows = BF16_ROWS.get();
        if (rows.length < n) {
            rows = new short[n];
            BF16_ROWS.set(rows);
        }
        return rows;
    }
}
