package io.jswift.backend.cpu.gemm;

import io.jswift.backend.cpu.Parallel;
import io.jswift.tensor.DType;
import io.jswift.tensor.Half;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.quant.Weight4bit;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Products with a bitsandbytes 4-bit weight for many rows of x (prefill, training): x · Wᵀ (the forward) or x · W
 * (the input gradient, W frozen as in QLoRA), with {@link Gemm}'s BLIS loops and micro-kernel, where each KC×NC block
 * of B is decoded from the 4-bit weight into a heap tile (table value · absmax, rounded to the weight dtype as the
 * dequantized tensor holds it) and packed from there. W is never whole in memory: one tile a core (1 MiB on AVX2).
 * Packing, tiles and summation order are Gemm's, so the result equals matmul of the dequantized weight where that
 * takes the blocked path (more than {@link Gemm#SMALL_M} rows); x may be strided. Dims: M = rows of x, and
 * C [M, Nc] = x [M, Kc] · B [Kc, Nc] with B = Wᵀ (Kc = K, Nc = N) or W (Kc = N, Nc = K) for W [N, K].
 */
public final class Gemm4bit {
    private static final ThreadLocal<float[]> A_BUFFER = ThreadLocal.withInitial(() -> new float[Gemm.MC * Gemm.KC]);
    private static final ThreadLocal<float[]> B_BUFFER = ThreadLocal.withInitial(() -> new float[Gemm.NC * Gemm.KC]);
    private static final ThreadLocal<float[]> TILE = ThreadLocal.withInitial(() -> new float[Gemm.NC * Gemm.KC]);
    private static final ThreadLocal<float[]> SCRATCH = ThreadLocal.withInitial(() -> new float[MicroKernel.MR * MicroKernel.NR]);

    private Gemm4bit() {}

    /** Whether this kernel takes the product: f32 / bf16 / f16 x and weight dtype (f64 takes the reference composition). */
    public static boolean applies(Tensor x, DType weightDtype) {
        return x.rank() == 2 && isHalfOrSingle(x.dtype()) && isHalfOrSingle(weightDtype);
    }

    private static boolean isHalfOrSingle(DType t) {
        return t == DType.F32 || t == DType.BF16 || t == DType.F16;
    }

    /** x · Wᵀ ({@code transW}) or x · W, in the dtype matmul gives x and a {@code weightDtype} weight. */
    public static Tensor multiply(Tensor x, Weight4bit w, boolean transW, DType weightDtype) {
        return multiply(x, w, transW, weightDtype, Gemm.TOUCH_C);
    }

    /**
     * {@link #multiply} with {@link Gemm#touchRows} on or off (same-process A/B benchmarks; the bits are the same):
     * the C blocks here are walked as in {@link Gemm#block}, so their write-backs wait on the same cache misses.
     */
    public static Tensor multiply(Tensor x, Weight4bit w, boolean transW, DType weightDtype, boolean touchC) {
        int m = x.size(0), kc = transW ? w.cols() : w.rows(), nc = transW ? w.rows() : w.cols();
        Operand a = new Operand(x.hostSegment(), x.dtype(), x.offset(), x.stride(0), x.stride(1));
        Tensor out = Tensor.zeros(DType.F32, m, nc);
        MemorySegment c = out.hostSegment();
        Decoder dec = new Decoder(w, weightDtype);
        int nr = MicroKernel.NR, panels = (nc + nr - 1) / nr;
        int threads = (long) m * nc * kc < (1L << 18) ? 1 : Parallel.threads();
        if (threads > 1 && panels >= threads) { // each core owns a slice of C's columns, and decodes only its part of W
            Parallel.range(panels, 1, (p0, p1) -> block(0, m, p0 * nr, Math.min(nc, p1 * nr), kc, a, dec, transW, c, nc, touchC));
        } else if (threads > 1 && m >= 2 * Gemm.MC) {
            int blocks = (m + Gemm.MC - 1) / Gemm.MC;
            Parallel.range(blocks, 1, (b0, b1) -> block(b0 * Gemm.MC, Math.min(m, b1 * Gemm.MC), 0, nc, kc, a, dec, transW, c, nc, touchC));
        } else {
            block(0, m, 0, nc, kc, a, dec, transW, c, nc, touchC);
        }
        DType type = DType.promote(x.dtype(), weightDtype);
        return type == DType.F32 ? out : out.to(type);
    }

    /** Gemm.block with B decoded a KC×NC block at a time. */
    private static void block(int i0, int i1, int j0, int j1, int k, Operand a, Decoder dec, boolean transW, MemorySegment c, long ldc,
                              boolean touchC) {
        int mr = MicroKernel.MR, nr = MicroKernel.NR;
        float[] packedA = A_BUFFER.get(), packedB = B_BUFFER.get(), tile = TILE.get(), scratch = SCRATCH.get();
        MemorySegment tileSeg = MemorySegment.ofArray(tile);
        float[] table = new float[16];
        for (int jc = j0; jc < j1; jc += Gemm.NC) {
            int nc = Math.min(Gemm.NC, j1 - jc);
            for (int pc = 0; pc < k; pc += Gemm.KC) {
                int kc = Math.min(Gemm.KC, k - pc);
                Operand b;
                if (transW) { // B(p, j) = W[jc + j, pc + p]: nc weight rows, kc long, as columns of the tile
                    for (int j = 0; j < nc; j++) dec.run((long) (jc + j) * dec.cols + pc, kc, tile, j * kc, table);
                    b = new Operand(tileSeg, DType.F32, 0, 1, kc);
                } else {      // B(p, j) = W[pc + p, jc + j]: kc weight rows, nc long, as rows of the tile
                    for (int p = 0; p < kc; p++) dec.run((long) (pc + p) * dec.cols + jc, nc, tile, p * nc, table);
                    b = new Operand(tileSeg, DType.F32, 0, nc, 1);
                }
                Packing.packB(b, 0, kc, 0, nc, packedB, 0, nr);
                for (int ic = i0; ic < i1; ic += Gemm.MC) {
                    int mc = Math.min(Gemm.MC, i1 - ic);
                    Packing.packA(a, ic, mc, pc, kc, packedA, mr);
                    if (touchC) Gemm.touchRows(c, (long) ic * ldc + jc, ldc, mc, nc, scratch);
                    for (int jr = 0; jr < nc; jr += nr) {
                        int cols = Math.min(nr, nc - jr);
                        int bi = (jr / nr) * kc * nr;
                        for (int ir = 0; ir < mc; ir += mr) {
                            long off = (long) (ic + ir) * ldc + jc + jr;
                            MicroKernel.tile(kc, packedA, (ir / mr) * kc * mr, packedB, bi, c, off, ldc, Math.min(mr, mc - ir), cols, pc > 0, scratch);
                        }
                    }
                }
            }
        }
    }

    /**
     * Runs of consecutive weights (in W's row-major order) to floats: per block a 16-entry table of code · absmax
     * rounded to the weight dtype (the dequantized tensor's values), then one lookup per nibble.
     */
    private static final class Decoder {
        private final MemorySegment ps;
        private final long po;
        private final BlockScales scales;
        private final float[] code;
        private final int blocksize;
        private final DType dtype;
        final long cols;

        Decoder(Weight4bit w, DType dtype) {
            Tensor packed = w.packed().contiguous();
            this.ps = packed.hostSegment();
            this.po = packed.offset();
            this.scales = new BlockScales(w.absmax());
            this.code = w.type().table();
            this.blocksize = w.blocksize();
            this.dtype = dtype;
            this.cols = w.cols();
        }

        /** dst[off + i] = W's element {@code first + i} (flat index), for i in [0, len); {@code table} is scratch [16]. */
        void run(long first, int len, float[] dst, int off, float[] table) {
            long e = first, end = first + len;
            while (e < end) {
                long block = e / blocksize, stop = Math.min(end, (block + 1) * blocksize);
                float a = scales.at(block);
                for (int q = 0; q < 16; q++) table[q] = round(code[q] * a);
                int d = (int) (off + (e - first));
                if ((e & 1) == 1) dst[d++] = table[byteAt(e++) & 0xF];
                for (; e + 1 < stop; e += 2) {
                    int b = byteAt(e);
                    dst[d++] = table[b >> 4];
                    dst[d++] = table[b & 0xF];
                }
                if (e < stop) dst[d] = table[byteAt(e++) >> 4];
            }
        }

        private int byteAt(long element) {
            return ps.get(ValueLayout.JAVA_BYTE, po + (element >> 1)) & 0xFF;
        }

        private float round(float v) {
            return switch (dtype) {
                case BF16 -> Half.bf16ToFloat(Half.floatToBf16(v));
                case F16 -> Half.f16ToFloat(Half.floatToF16(v));
                default -> v;
            };
        }
    }
}
