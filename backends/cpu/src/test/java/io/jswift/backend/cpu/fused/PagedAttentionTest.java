package io.jswift.backend.cpu.fused;

import io.jswift.tensor.DType;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.AttentionSpec;
import io.jswift.tensor.spi.FusedReference;
import io.jswift.tensor.spi.PagedKv;
import io.jswift.tensor.testing.NaiveFused;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static io.jswift.tensor.testing.RandomTensors.random;
import static io.jswift.tensor.testing.TensorAssert.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Paged attention over ragged rows whose blocks lie scattered (and partly shared) in a pool: the CPU's in-place kernels
 * (decode and prefill chunks, soft-capped or not) and the reference composition (gather, then attention) against
 * float64 loops over the gathered keys, and the kernels bit for bit equal to attention over the gathered copy (the
 * path they replace).
 */
class PagedAttentionTest {
    private static final double TOL = 2e-5, ULP = 1e-6;
    private static final int BLOCKS = 23;
    /** Rows of different lengths: one position, a block edge, one past it, many blocks. */
    private static final int[] LENGTHS = {1, 16, 17, 5, 70};

    @ParameterizedTest(name = "T={0} Hq={1} Hkv={2} D={3} blockSize={4} window={5} softcap={6}")
    @CsvSource({
            "1, 4, 2, 16, 16, 0, 0", "1, 8, 8, 64, 4, 0, 0", "1, 14, 2, 80, 16, 0, 0", "1, 6, 3, 8, 1, 0, 0",
            "1, 4, 2, 16, 8, 5, 0", "1, 4, 1, 32, 16, 16, 0", "1, 4, 2, 16, 16, 0, 1.5",
            "3, 4, 2, 16, 4, 0, 0", "1, 4, 2, 17, 5, 0, 0", "3, 4, 2, 16, 16, 4, 1.5", "1, 4, 2, 16, 4, 5, 2",
            "16, 8, 2, 32, 16, 0, 0", "70, 4, 1, 64, 16, 0, 0", "17, 6, 3, 24, 5, 9, 0", "17, 4, 2, 16, 4, 0, 1.5", "70, 4, 2, 16, 16, 33, 2"})
    void kernelAndReferenceMatchTheFloat64Oracle(int t, int hq, int hkv, int d, int blockSize, int window, double softcap) {
        Case c = new Case(t, hq, hkv, d, blockSize, new AttentionSpec(1 / Math.sqrt(d), true, null, null, window, softcap));
        Tensor kernel = FusedTesting.KERNELS.pagedAttention(c.q, c.kv, c.spec), reference = FusedTesting.REFERENCE.pagedAttention(c.q, c.kv, c.spec);
        for (int r = 0; r < LENGTHS.length; r++) {
            int len = c.kv.contextLens()[r];
            PagedKv.Row row = c.kv.gather(FusedTesting.KERNELS, r);
            NaiveFused.Attention want = NaiveFused.attention(c.q.narrow(0, r, 1).toDoubleArray(), row.keys().toDoubleArray(), row.values().toDoubleArray(),
                    new NaiveFused.AttentionShape(1, hq, hkv, t, len, d), new NaiveFused.AttentionMask(c.spec.scale(), true, null, null, window, softcap));
            assertClose(want.out(), kernel.narrow(0, r, 1), TOL, TOL, "kernel row " + r);
            assertClose(want.out(), reference.narrow(0, r, 1), TOL, TOL, "reference row " + r);
        }
    }

    /** The decode kernel reads the blocks in place with the loops of contiguous decode attention: the same floats. */
    @ParameterizedTest(name = "Hq={0} Hkv={1} D={2} blockSize={3} window={4}")
    @CsvSource({"4, 2, 16, 16, 0", "8, 8, 64, 4, 0", "14, 2, 80, 16, 0", "4, 2, 16, 8, 5", "6, 3, 7, 3, 0"})
    void decodeEqualsAttentionOverTheGatheredCopy(int hq, int hkv, int d, int blockSize, int window) {
        Case c = new Case(1, hq, hkv, d, blockSize, new AttentionSpec(1 / Math.sqrt(d), true, null, null, window));
        Tensor paged = FusedTesting.KERNELS.pagedAttention(c.q, c.kv, c.spec);
        for (int r = 0; r < LENGTHS.length; r++) {
            PagedKv.Row row = c.kv.gather(FusedTesting.KERNELS, r);
            Tensor copied = FusedTesting.KERNELS.attention(c.q.narrow(0, r, 1), row.keys(), row.values(), c.spec).output();
            assertArrayEquals(copied.toFloatArray(), paged.narrow(0, r, 1).toFloatArray(), "row " + r);
        }
    }

    /**
     * A prefill chunk (T > 1: causal within the chunk, after the row's earlier positions) packs the tiled kernel's panels
     * straight from the blocks: the same loops over the same floats as the tiled kernel over the gathered copy (the path
     * it replaces). Equal within an ulp rather than bit for bit: the vector EXP of an interpreted and a C2-compiled loop
     * may differ in the last bit, so the same call repeated differs that much while the JIT warms up.
     */
    @ParameterizedTest(name = "T={0} Hq={1} Hkv={2} D={3} blockSize={4} window={5}")
    @CsvSource({"2, 4, 2, 16, 16, 0", "16, 8, 2, 64, 4, 0", "70, 4, 4, 80, 16, 0", "17, 6, 3, 24, 5, 9", "5, 14, 2, 8, 1, 3"})
    void prefillChunkEqualsAttentionOverTheGatheredCopy(int t, int hq, int hkv, int d, int blockSize, int window) {
        Case c = new Case(t, hq, hkv, d, blockSize, new AttentionSpec(1 / Math.sqrt(d), true, null, null, window));
        Tensor paged = AttentionKernels.paged(c.q, c.kv, c.spec);
        assertNotNull(paged, "the CPU kernel covers prefill chunks (no gather)");
        for (int r = 0; r < LENGTHS.length; r++) {
            PagedKv.Row row = c.kv.gather(FusedTesting.KERNELS, r);
            Tensor copied = FusedTesting.KERNELS.attention(c.q.narrow(0, r, 1), row.keys(), row.values(), c.spec).output();
            assertClose(copied.toDoubleArray(), paged.narrow(0, r, 1), ULP, ULP, "row " + r);
        }
    }

    /** Soft-capped scores (Gemma 2) stay in the kernels, decode and prefill alike (the gathered path took the reference). */
    @ParameterizedTest(name = "T={0}")
    @CsvSource({"1", "9"})
    void softcappedCallsStayInTheKernel(int t) {
        Case c = new Case(t, 4, 2, 16, 4, new AttentionSpec(0.25, true, null, null, 0, 1.5));
        Tensor paged = AttentionKernels.paged(c.q, c.kv, c.spec);
        assertNotNull(paged);
        assertClose(FusedReference.pagedAttention(FusedTesting.KERNELS, c.q, c.kv, c.spec).toDoubleArray(), paged, TOL, TOL, "soft-capped T=" + t);
    }

    /**
     * A bf16 or f16 pool (kv_cache_dtype bfloat16 / float16, or auto for a model of that dtype): decode and prefill chunks
     * read the half-precision blocks in place, widening each row in registers, so they give the f32 kernel's result over
     * the same values widened to f32 (decode bit for bit; chunks within an ulp, see above) and the float64 oracle's; a q
     * of the pool's dtype gives a result of that dtype, as the reference does.
     */
    @ParameterizedTest(name = "{7}: T={0} Hq={1} Hkv={2} D={3} blockSize={4} window={5} softcap={6}")
    @CsvSource({"1, 4, 2, 16, 16, 0, 0, BF16", "1, 14, 2, 80, 16, 0, 0, BF16", "1, 6, 3, 7, 3, 5, 0, BF16", "1, 4, 2, 16, 4, 0, 1.5, BF16",
            "3, 4, 2, 16, 4, 0, 0, BF16", "17, 6, 3, 24, 5, 9, 0, BF16", "70, 4, 2, 16, 16, 33, 2, BF16",
            "1, 4, 2, 16, 16, 0, 0, F16", "1, 14, 2, 80, 16, 0, 0, F16", "1, 6, 3, 7, 3, 5, 0, F16", "1, 4, 2, 16, 4, 0, 1.5, F16",
            "3, 4, 2, 16, 4, 0, 0, F16", "17, 6, 3, 24, 5, 9, 0, F16", "70, 4, 2, 16, 16, 33, 2, F16"})
    void halfPrecisionBlocksAreReadInPlace(int t, int hq, int hkv, int d, int blockSize, int window, double softcap, DType stored) {
        Case c = new Case(t, hq, hkv, d, blockSize, new AttentionSpec(1 / Math.sqrt(d), true, null, null, window, softcap));
        PagedKv half = new PagedKv(c.kv.keyBlocks().to(stored), c.kv.valueBlocks().to(stored), c.kv.blockTables(), c.kv.contextLens());
        PagedKv widened = new PagedKv(half.keyBlocks().to(DType.F32), half.valueBlocks().to(DType.F32), c.kv.blockTables(), c.kv.contextLens());
        Tensor inPlace = AttentionKernels.paged(c.q, half, c.spec), overF32 = AttentionKernels.paged(c.q, widened, c.spec);
        assertNotNull(inPlace, "the CPU kernels cover " + stored + " blocks (no gather)");
        assertEquals(DType.F32, inPlace.dtype());
        if (t == 1 && softcap == 0) assertArrayEquals(overF32.toFloatArray(), inPlace.toFloatArray());
        else assertClose(overF32.toDoubleArray(), inPlace, ULP, ULP, stored + " blocks vs their f32 widening");
        for (int r = 0; r < LENGTHS.length; r++) {
            PagedKv.Row row = widened.gather(FusedTesting.KERNELS, r);
            NaiveFused.Attention want = NaiveFused.attention(c.q.narrow(0, r, 1).toDoubleArray(), row.keys().toDoubleArray(), row.values().toDoubleArray(),
                    new NaiveFused.AttentionShape(1, hq, hkv, t, c.kv.contextLens()[r], d), new NaiveFused.AttentionMask(c.spec.scale(), true, null, null, window, softcap));
            assertClose(want.out(), inPlace.narrow(0, r, 1), TOL, TOL, "row " + r);
        }
        Tensor q16 = c.q.to(stored), out16 = FusedTesting.KERNELS.pagedAttention(q16, half, c.spec);
        assertEquals(stored, out16.dtype());
        Tensor reference = FusedReference.pagedAttention(FusedTesting.KERNELS, q16, half, c.spec); // gather + attention, in the pool's dtype
        assertClose(reference.toDoubleArray(), out16, 1e-2, 1e-2, stored + " q and blocks vs the reference composition");
    }

    @Test
    void badTablesAndQueriesAreRefusedWithTheReason() {
        Tensor pool = random(1, DType.F32, 4, 2, 8, 16);
        String outOfPool = assertThrows(IllegalArgumentException.class,
                () -> new PagedKv(pool, pool, new int[][]{{0, 4}}, new int[]{9})).getMessage();
        assertTrue(outOfPool.contains("block 4") && outOfPool.contains("pool of 4 blocks"), outOfPool);
        String shortTable = assertThrows(IllegalArgumentException.class,
                () -> new PagedKv(pool, pool, new int[][]{{0}}, new int[]{9})).getMessage();
        assertTrue(shortTable.contains("9 positions"), shortTable);
        PagedKv kv = new PagedKv(pool, pool, new int[][]{{1, 2}}, new int[]{2});
        Tensor q = random(2, DType.F32, 1, 4, 3, 16);
        String fewer = assertThrows(IllegalArgumentException.class,
                () -> FusedTesting.KERNELS.pagedAttention(q, kv, AttentionSpec.causal(16))).getMessage();
        assertTrue(fewer.contains("fewer than its 3 queries"), fewer);
        assertThrows(IllegalArgumentException.class, () -> FusedTesting.KERNELS.pagedAttention(random(3, DType.F32, 1, 3, 1, 16), kv, AttentionSpec.causal(16)));
        Tensor seg = Tensor.ofLongs(new long[]{0}, 1, 1);
        assertThrows(IllegalArgumentException.class, () -> FusedTesting.REFERENCE.pagedAttention(random(3, DType.F32, 1, 4, 1, 16), kv,
                new AttentionSpec(0.25, true, seg, Tensor.ofLongs(new long[]{0, 0}, 1, 2))));
    }

    /**
     * A pool of random blocks and one block table per row (of LENGTHS positions, at least T): blocks dealt out of
     * order, the first block shared by rows 1 and 2.
     */
    private static final class Case {
        final Tensor q;
        final PagedKv kv;
        final AttentionSpec spec;

        Case(int t, int hq, int hkv, int d, int blockSize, AttentionSpec spec) {
            int[] lengths = new int[LENGTHS.length];
            int blocks = 0;
            for (int r = 0; r < lengths.length; r++) {
                lengths[r] = Math.max(LENGTHS[r], t);
                blocks += (lengths[r] + blockSize - 1) / blockSize;
            }
            int n = Math.max(BLOCKS, blocks);
            int[][] tables = new int[LENGTHS.length][];
            int next = 0;
            for (int r = 0; r < LENGTHS.length; r++) {
                int need = (lengths[r] + blockSize - 1) / blockSize;
                tables[r] = new int[need + 2]; // longer than needed: the tail is never read
                for (int i = 0; i < tables[r].length; i++) tables[r][i] = i < need ? (next++ * 7) % n : n - 1 - i;
            }
            tables[2][0] = tables[1][0]; // a shared prefix block
            this.kv = new PagedKv(random(11, DType.F32, n, hkv, blockSize, d), random(12, DType.F32, n, hkv, blockSize, d), tables, lengths);
            this.q = random(13, DType.F32, LENGTHS.length, hq, t, d);
            this.spec = spec;
        }
    }
}
