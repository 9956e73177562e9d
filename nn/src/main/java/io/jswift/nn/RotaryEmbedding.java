package io.jswift.nn;

import io.jswift.tensor.Device;
import io.jswift.tensor.Tensor;

/**
 * Rotary position embedding tables (RoFormer, Su et al. 2021) as HF computes them: inv_freq[i] =
 * 1 / theta^(2i / dim) in float32, optionally rescaled (linear or llama3), angles = position · inv_freq,
 * cos/sin of cat(angles, angles) so they pair with rotate_half.
 */
public final class RotaryEmbedding {
    private final int dim;          // rotary dims R (even; the first R dims of each head rotate)
    private final float[] invFreq;  // [R / 2]
    private final double positionScale;
    private final float[] longInvFreq; // [R / 2] LongRoPE's long factors, or null
    private final int longFrom;        // calls whose max position + 1 exceeds this use longInvFreq (LongRoPE)
    private final float attentionScale; // LongRoPE's or YaRN's attention factor on cos and sin (1 otherwise)

    public RotaryEmbedding(int dim, double theta, RopeScaling scaling) {
        if (dim <= 0 || dim % 2 != 0) throw new IllegalArgumentException("rotary dim must be even and > 0, got " + dim);
        this.dim = dim;
        this.invFreq = new float[dim / 2];
        for (int i = 0; i < dim / 2; i++) {
            // HF: 1.0 / (base ** (arange(0, dim, 2).float() / dim)), every step in float32
            float exponent = (float) (2 * i) / dim;
            invFreq[i] = 1.0f / (float) Math.pow(theta, exponent);
        }
        if (scaling.type().equals("llama3")) applyLlama3(scaling);
        this.positionScale = scaling.type().equals("linear") ? 1.0 / scaling.factor() : 1.0;
        this.longInvFreq = null;
        this.longFrom = Integer.MAX_VALUE;
        this.attentionScale = 1;
    }

    /** LongRoPE tables: the short factors up to the original context, the long ones past it. */
    public RotaryEmbedding(int dim, double theta, LongRope longRope) {
        if (dim <= 0 || dim % 2 != 0) throw new IllegalArgumentException("rotary dim must be even and > 0, got " + dim);
        if (longRope.shortFactor().length != dim / 2) {
            throw new IllegalArgumentException("longrope factors must have rotary dim / 2 = " + dim / 2 + " entries, got " + longRope.shortFactor().length);
        }
        this.dim = dim;
        this.invFreq = extended(dim, theta, longRope.shortFactor());
        this.longInvFreq = extended(dim, theta, longRope.longFactor());
        this.longFrom = longRope.originalMaxPositionEmbeddings();
        this.positionScale = 1.0;
        this.attentionScale = (float) longRope.attentionFactor();
    }

    /** YaRN tables (DeepSeek-V2/V3): blended inverse frequencies, cos and sin times the attention factor. */
    public RotaryEmbedding(int dim, double theta, Yarn yarn) {
        if (dim <= 0 || dim % 2 != 0) throw new IllegalArgumentException("rotary dim must be even and > 0, got " + dim);
        this.dim = dim;
        this.invFreq = yarn.inverseFrequencies(dim, theta);
        this.longInvFreq = null;
        this.longFrom = Integer.MAX_VALUE;
        this.positionScale = 1.0;
        this.attentionScale = (float) yarn.attentionFactor();
    }

    /** HF: 1.0 / (ext_factors * base ** (arange(0, dim, 2).float() / dim)), float32 throughout. */
    private static float[] extended(int dim, double theta, double[] ext) {
        float[] out = new float[dim / 2];
        for (int i = 0; i < dim / 2; i++) {
            float exponent = (float) (2 * i) / dim;
            out[i] = 1.0f / ((float) ext[i] * (float) Math.pow(theta, exponent));
        }
        return out;
    }

    /**
     * Whether a call whose largest position is {@code maxPosition} uses other frequencies than one whose largest is
     * {@code previousMaxPosition}: only LongRoPE switches, when max position + 1 passes the original context.
     */
    public boolean switchesBetween(long previousMaxPosition, long maxPosition) {
        return longInvFreq != null && (previousMaxPosition + 1 > longFrom) != (maxPosition + 1 > longFrom);
    }

    /** The position count past which LongRoPE takes its long factors (Integer.MAX_VALUE: never). */
    public int longFrom() { return longFrom; }

    /**
     * Llama 3.1 scaling (HF _compute_llama3_parameters): long wavelengths (> original context / low_freq_factor)
     * are divided by factor, short ones (< original / high_freq_factor) kept, and the band between blends
     * the two linearly in original_context / wavelength.
     */
    private void applyLlama3(RopeScaling s) {
        double lowWavelen = s.originalMaxPositionEmbeddings() / s.lowFreqFactor();
        double highWavelen = s.originalMaxPositionEmbeddings() / s.highFreqFactor();
        for (int i = 0; i < invFreq.length; i++) {
            // float32 throughout, as HF's tensor arithmetic
            float f = invFreq[i];
            float wavelen = (float) (2 * Math.PI) / f;
            float factor = (float) s.factor();
            float scaled = wavelen > lowWavelen ? f / factor : f;
            if (!(wavelen < highWavelen) && !(wavelen > lowWavelen)) {
                float smooth = ((float) s.originalMaxPositionEmbeddings() / wavelen - (float) s.lowFreqFactor())
                        / ((float) s.highFreqFactor() - (float) s.lowFreqFactor());
                scaled = (1 - smooth) * scaled / factor + smooth * scaled;
            }
            invFreq[i] = scaled;
        }
    }

    public int dim() { return dim; }

    /** cos and sin tables, each [T, R] for the given positions (or [B, T, R] for a [B, T] position matrix). */
    public record Tables(Tensor cos, Tensor sin) {
        /** Both tables on {@code device} (the tables are computed on the host, as HF computes them in float32). */
        public Tables to(Device device) {
            return cos.device().equals(device) ? this : new Tables(cos.to(device), sin.to(device));
        }
    }

    /** Tables for positions start, start+1, ..., start+length-1. */
    public Tables forRange(int start, int length) {
        long[] pos = new long[length];
        for (int i = 0; i < length; i++) pos[i] = start + i;
        return forPositions(pos, new int[]{length, dim});
    }

    /** Tables for an explicit [B, T] position-id matrix (packing restarts positions per sample). */
    public Tables forPositionIds(Tensor positionIds) {
        int[] s = positionIds.shape();
        if (s.length != 2) throw new IllegalArgumentException("position ids must be [B, T], got " + java.util.Arrays.toString(s));
        return forPositions(positionIds.toLongArray(), new int[]{s[0], s[1], dim});
    }

    private Tables forPositions(long[] positions, int[] shape) {
        int half = dim / 2;
        long max = -1;
        for (long p : positions) max = Math.max(max, p);
        // transformers' longrope_frequency_update: seq_len = max(position_ids) + 1 decides for the whole call
        float[] invFreq = longInvFreq != null && max + 1 > longFrom ? longInvFreq : this.invFreq;
        float[] cos = new float[positions.length * dim], sin = new float[positions.length * dim];
        for (int p = 0; p < positions.length; p++) {
            float position = (float) (positions[p] * positionScale);
            for (int i = 0; i < half; i++) {
                float angle = position * invFreq[i]; // float32 product, as HF's matmul of float tensors
                float c = (float) Math.cos(angle) * attentionScale, s = (float) Math.sin(angle) * attentionScale;
                cos[p * dim + i] = c;
                cos[p * dim + i + half] = c;
                sin[p * dim + i] = s;
                sin[p * dim + i + half] = s;
            }
        }
        return new Tables(Tensor.of(cos, shape), Tensor.of(sin, shape));
    }
}
