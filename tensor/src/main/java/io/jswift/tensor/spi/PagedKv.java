package io.jswift.tensor.spi;

import io.jswift.tensor.Tensor;

import java.util.Arrays;

/**
 * Keys and values of a batch of sequences in a paged KV cache (vLLM's PagedAttention, Kwon et al. 2023), as
 * {@link Backend#pagedAttention} reads them: {@code keyBlocks} [N, Hkv, blockSize, D] and {@code valueBlocks} [N, Hkv, blockSize, Dv] hold
 * N blocks (Dv ≠ D for DeepSeek's latent attention, {@link AttentionRules}); row b of the batch has {@code contextLens[b]} positions, position p in block {@code blockTables[b][p / blockSize]}
 * at slot {@code p % blockSize}. A table may be longer than its row needs (its tail is ignored); blocks may be shared
 * by several rows (a common prompt prefix). The tables are host arrays: the scheduler owns them.
 */
public record PagedKv(Tensor keyBlocks, Tensor valueBlocks, int[][] blockTables, int[] contextLens) {
    public PagedKv {
        if (keyBlocks.rank() != 4 || valueBlocks.rank() != 4 || !Arrays.equals(Arrays.copyOf(keyBlocks.shape(), 3), Arrays.copyOf(valueBlocks.shape(), 3))) {
            throw new IllegalArgumentException("paged attention expects key and value blocks [N, Hkv, blockSize, D] and [N, Hkv, blockSize, Dv], got keys "
                    + Arrays.toString(keyBlocks.shape()) + " and values " + Arrays.toString(valueBlocks.shape()));
        }
        if (blockTables.length != contextLens.length) {
            throw new IllegalArgumentException("paged attention: " + blockTables.length + " block tables for " + contextLens.length + " context lengths");
        }
        int n = keyBlocks.size(0), bs = keyBlocks.size(2);
        if (bs < 1) throw new IllegalArgumentException("paged attention: blocks of " + bs + " positions");
        for (int r = 0; r < blockTables.length; r++) {
            int len = contextLens[r], needed = (len + bs - 1) / bs;
            if (len < 0 || blockTables[r].length < needed) {
                throw new IllegalArgumentException("paged attention: row " + r + " has " + len + " positions but a block table of "
                        + blockTables[r].length + " blocks of " + bs);
            }
            for (int i = 0; i < needed; i++) {
                if (blockTables[r][i] < 0 || blockTables[r][i] >= n) {
                    throw new IllegalArgumentException("paged attention: row " + r + " names block " + blockTables[r][i] + " at table entry "
                            + i + " of a pool of " + n + " blocks");
                }
            }
        }
        FusedRules.requireFloating("pagedAttention", "keyBlocks", keyBlocks);
        FusedRules.requireFloating("pagedAttention", "valueBlocks", valueBlocks);
    }

    public int blockSize() { return keyBlocks.size(2); }

    public int kvHeads() { return keyBlocks.size(1); }

    /** The head dim of queries and keys. */
    public int headDim() { return keyBlocks.size(3); }

    /** The head dim of values and of the output. */
    public int valueHeadDim() { return valueBlocks.size(3); }

    /** Rows of the batch. */
    public int rows() { return contextLens.length; }

    /**
     * The checks of {@link Backend#pagedAttention}: q [B, Hq, T, D] (the output [B, Hq, T, Dv]) with B this batch's rows, Hq a multiple of Hkv,
     * every row with at least T positions (its queries are its last T), no segment ids (rows are unpadded sequences).
     */
    public void check(Tensor q, AttentionSpec spec) {
        if (q.rank() != 4 || q.size(0) != rows() || q.size(3) != headDim() || kvHeads() == 0 || q.size(1) % kvHeads() != 0) {
            throw new IllegalArgumentException("paged attention expects q [" + rows() + ", Hq, T, " + headDim() + "] with Hq a multiple of "
                    + kvHeads() + ", got " + Arrays.toString(q.shape()));
        }
        FusedRules.requireFloating("pagedAttention", "q", q);
        if (spec.hasSegments()) throw new IllegalArgumentException("paged attention takes no segment ids: its rows are unpadded sequences");
        for (int r = 0; r < rows(); r++) {
            if (contextLens[r] < q.size(2)) {
                throw new IllegalArgumentException("paged attention: row " + r + " has " + contextLens[r] + " positions, fewer than its "
                        + q.size(2) + " queries");
            }
        }
    }

    /**
     * Row r's keys and values gathered in position order into new [1, Hkv, contextLens[r], D or Dv] tensors on {@code b}:
     * the copy that the reference composition attends over (a paged kernel reads the blocks in place instead).
     */
    public Row gather(Backend b, int r) {
        int len = contextLens[r], bs = blockSize();
        Tensor k = b.allocate(keyBlocks.dtype(), 1, kvHeads(), len, headDim()), v = b.allocate(valueBlocks.dtype(), 1, kvHeads(), len, valueHeadDim());
        for (int i = 0; i * bs < len; i++) {
            int n = Math.min(bs, len - i * bs), block = blockTables[r][i];
            b.copy(keyBlocks.narrow(0, block, 1).narrow(2, 0, n), k.narrow(2, i * bs, n));
            b.copy(valueBlocks.narrow(0, block, 1).narrow(2, 0, n), v.narrow(2, i * bs, n));
        }
        return new Row(k, v);
    }

    /** One row's keys [1, Hkv, S, D] and values [1, Hkv, S, Dv] in position order. */
    public record Row(Tensor keys, Tensor values) {}
}
