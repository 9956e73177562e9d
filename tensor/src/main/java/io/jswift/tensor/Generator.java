package io.jswift.tensor;

import io.jswift.tensor.spi.RandomSpec;

/**
 * A seeded, counter-based random generator (Philox4x32-10, Salmon et al., SC'11 — the generator
 * PyTorch uses on CUDA). Its whole state is {@code (seed, offset)}: value i of a fill depends only on
 * the seed and the block counter, so fills are reproducible, parallelizable, identical on every
 * backend, and a checkpoint can save and restore the state exactly.
 *
 * <p>Each fill starts at a fresh 128-bit block and consumes ceil(n / 4) blocks: element i reads lane
 * i % 4 of block offset + i / 4 (normals use the lane pair (0,1) or (2,3) through Box–Muller).
 */
public final class Generator {
    private static final int M0 = 0xD2511F53, M1 = 0xCD9E8D57;
    private static final int W0 = 0x9E3779B9, W1 = 0xBB67AE85;
    private static final float INV_2_24 = 1.0f / (1 << 24);

    private final long seed;
    private long offset; // blocks consumed

    public Generator(long seed) {
        this(seed, 0);
    }

    public Generator(long seed, long offset) {
        this.seed = seed;
        this.offset = offset;
    }

    public long seed() { return seed; }

    /** Blocks consumed so far; with the seed, the complete state. */
    public synchronized long offset() { return offset; }

    /** Moves the generator to {@code offset} blocks (restoring a checkpointed state, replaying a recomputation). */
    public synchronized void setOffset(long offset) {
        if (offset < 0) throw new IllegalArgumentException("generator offset must be >= 0, got " + offset);
        this.offset = offset;
    }

    /** Reserves {@code blocks} blocks and returns the first one's counter (for device-side generation). */
    public synchronized long reserveBlocks(long blocks) {
        long start = offset;
        offset += blocks;
        return start;
    }

    /** Fills {@code out} (all of it) from {@code spec}. */
    public void fill(float[] out, RandomSpec spec) {
        long start = reserveBlocks((out.length + 3) / 4);
        fillFrom(seed, start, out, spec);
    }

    /** Fills {@code out} from {@code spec} as if from a generator of {@code seed} at block {@code startBlock}. */
    public static void fillFrom(long seed, long startBlock, float[] out, RandomSpec spec) {
        fillFrom(seed, startBlock, out, 0, out.length, spec);
    }

    /**
     * Elements [from, to) of what {@link #fillFrom(long, long, float[], RandomSpec)} writes into {@code out}:
     * element i comes from block startBlock + i / 4 whatever the range, so ranges starting at multiples of 4
     * can be filled in parallel with the sequential result.
     */
    public static void fillFrom(long seed, long startBlock, float[] out, int from, int to, RandomSpec spec) {
        if (from % 4 != 0 || from < 0 || to > out.length) throw new IllegalArgumentException("random fill range [" + from + ", " + to + ") of " + out.length + ": it must start at a multiple of 4");
        int[] block = new int[4];
        int k0 = (int) seed, k1 = (int) (seed >>> 32);
        for (int i = from; i < to; i += 4) {
            long counter = startBlock + i / 4;
            philox(counter, k0, k1, block);
            int lanes = Math.min(4, to - i);
            switch (spec) {
                case RandomSpec.Uniform u -> {
                    for (int l = 0; l < lanes; l++) out[i + l] = (float) (u.low() + (u.high() - u.low()) * uniform(block[l]));
                }
                case RandomSpec.Bernoulli b -> {
                    for (int l = 0; l < lanes; l++) out[i + l] = uniform(block[l]) < b.p() ? 1f : 0f;
                }
                case RandomSpec.Normal n -> {
                    for (int pair = 0; pair < 4; pair += 2) {
                        // Box–Muller: u1 in (0, 1] so the log is finite.
                        double u1 = ((block[pair] >>> 8) + 1) * (double) INV_2_24;
                        double u2 = (block[pair + 1] >>> 8) * (double) INV_2_24;
                        double r = Math.sqrt(-2.0 * Math.log(u1));
                        double theta = 2.0 * Math.PI * u2;
                        if (pair < lanes) out[i + pair] = (float) (n.mean() + n.std() * r * Math.cos(theta));
                        if (pair + 1 < lanes) out[i + pair + 1] = (float) (n.mean() + n.std() * r * Math.sin(theta));
                    }
                }
            }
        }
    }

    /** A uniform float in [0, 1) from the top 24 bits. */
    private static float uniform(int bits) {
        return (bits >>> 8) * INV_2_24;
    }

    /** Next uniform double in [0, 1) — for sampling decisions (dropout masks use {@link #fill}). */
    public double nextDouble() {
        int[] block = new int[4];
        philox(reserveBlocks(1), (int) seed, (int) (seed >>> 32), block);
        long bits = ((long) (block[0] >>> 5) << 26) | (block[1] >>> 6);
        return bits * 0x1.0p-53;
    }

    /** Philox4x32-10 of the 128-bit counter (counter, 0) under key (k0, k1). */
    static void philox(long counter, int k0, int k1, int[] out) {
        int c0 = (int) counter, c1 = (int) (counter >>> 32), c2 = 0, c3 = 0;
        for (int round = 0; round < 10; round++) {
            long p0 = (M0 & 0xFFFFFFFFL) * (c0 & 0xFFFFFFFFL);
            long p1 = (M1 & 0xFFFFFFFFL) * (c2 & 0xFFFFFFFFL);
            int n0 = (int) (p1 >>> 32) ^ c1 ^ k0;
            int n1 = (int) p1;
            int n2 = (int) (p0 >>> 32) ^ c3 ^ k1;
            int n3 = (int) p0;
            c0 = n0; c1 = n1; c2 = n2; c3 = n3;
            k0 += W0;
            k1 += W1;
        }
        out[0] = c0; out[1] = c1; out[2] = c2; out[3] = c3;
    }
}
