package io.jswift.backend.cpu;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Transcendental functions and lane reductions for the CPU kernels that give the same bits whichever JIT tier
 * runs them. The Vector API's {@code lanewise(EXP)} (and LOG, TANH, ...) computes {@code Math.exp} per lane
 * while interpreted or C1-compiled, but a different approximation (SVML) once C2 intrinsifies it: 162 of
 * 4,096 lanes differed in their last bit. {@code reduceLanes(ADD)} adds the lanes in order when interpreted
 * and as a tree when compiled. So one kernel call returned other bits depending on when the JIT reached it,
 * which the machine's load decides. Everything here is built only from operations that IEEE 754 defines
 * exactly (add, sub, mul, div, fma, min/max, compares, integer bit operations and rearranges), so every tier
 * computes the same bits; each vector function has a scalar twin running the identical sequence (with
 * {@link Math#fma}) for the loop tails, so a tail element equals the lane it would have been in.
 *
 * <p>Accuracy against the exact value (VecMathTest sweeps the float range): exp and log within 1 ulp, tanh
 * within 2 ulp, sigmoid within 2.5 ulp.
 */
public final class VecMath {
    private static final float LOG2E = (float) (1 / Math.log(2));
    /** ln 2 split for Cody-Waite reduction: n·LN2_HI is exact for |n| < 2^15 (LN2_HI has 9 significant bits). */
    private static final float LN2_HI = 0.693359375f, LN2_LO = (float) (Math.log(2) - 0.693359375);
    /** 1.5·2^23: x + ROUND rounds x to an integer held in the low mantissa bits (for |x| < 2^22). */
    private static final float ROUND = 12582912f;
    private static final int ROUND_BITS = Float.floatToRawIntBits(ROUND);
    /** Beyond these exp's f32 result is +inf or 0; clamping first keeps the exponent arithmetic in range. */
    private static final float EXP_HI = 89f, EXP_LO = -104f;
    /** Taylor coefficients 1/k!; degree 7 leaves 4e-9 relative truncation error on |r| <= ln2/2, under f32 rounding. */
    private static final float C2 = 1f / 2, C3 = 1f / 6, C4 = 1f / 24, C5 = 1f / 120, C6 = 1f / 720, C7 = 1f / 5040, C8 = 1f / 40320;
    /** tanh(20) rounds to 1 in f32: larger |x| are clamped here to keep expm1's exponent in range. */
    private static final float TANH_CLAMP = 40f;
    /** tanh's two forms meet here: -u/(u+2) keeps small |x| accurate, 1 - 2w/(1+w) is the more accurate above. */
    private static final float TANH_SMALL = 0.55f;
    private static final int SIGN = 0x80000000;
    /** log: mantissas are normalised into [√½, √2) around this bit pattern (of √½). */
    private static final int SQRT_HALF_BITS = Float.floatToRawIntBits((float) Math.sqrt(0.5));
    /** log(1+f) = 2s + s·R, R = 2z/3 + 2z²/5 + ... (the atanh series), s = f/(2+f), z = s² <= 0.0295. */
    private static final float A3 = 2f / 3, A5 = 2f / 5, A7 = 2f / 7, A9 = 2f / 9, A11 = 2f / 11;
    /** Subnormal inputs of log are scaled by 2^23 and get 23 subtracted from their exponent. */
    private static final float TWO_23 = 8388608f, TWO_23_LOG2 = 23f;

    private static final Rotations<Float> F64 = new Rotations<>(FloatVector.SPECIES_64), F128 = new Rotations<>(FloatVector.SPECIES_128),
            F256 = new Rotations<>(FloatVector.SPECIES_256), F512 = new Rotations<>(FloatVector.SPECIES_512),
            FMAX = new Rotations<>(FloatVector.SPECIES_MAX);
    private static final Rotations<Double> D64 = new Rotations<>(DoubleVector.SPECIES_64), D128 = new Rotations<>(DoubleVector.SPECIES_128),
            D256 = new Rotations<>(DoubleVector.SPECIES_256), D512 = new Rotations<>(DoubleVector.SPECIES_512),
            DMAX = new Rotations<>(DoubleVector.SPECIES_MAX);

    private VecMath() {}

    // ---- exp ----

    /** e^x per lane, within 1 ulp of the correctly rounded value; +inf above 88.72, 0 below -103.97, NaN stays NaN. */
    public static FloatVector exp(FloatVector x) {
        FloatVector xc = x.min(EXP_HI).max(EXP_LO);
        FloatVector t = xc.fma(LOG2E, ROUND);
        FloatVector n = t.sub(ROUND);
        FloatVector r = reduce(xc, n);
        FloatVector p = r.fma(C7, C6).fma(r, x.broadcast(C5)).fma(r, x.broadcast(C4)).fma(r, x.broadcast(C3))
                .fma(r, x.broadcast(C2)).fma(r, x.broadcast(1f)).fma(r, x.broadcast(1f));
        // 2^n as two factors 2^(n>>1)·2^(n-(n>>1)): each stays a normal float for n in [-150, 128], and the
        // second product rounds once, into the subnormals or to +inf as the exact result would
        IntVector ni = t.reinterpretAsInts().sub(ROUND_BITS);
        IntVector n1 = ni.lanewise(VectorOperators.ASHR, 1);
        FloatVector s1 = n1.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        FloatVector s2 = ni.sub(n1).add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        return p.mul(s1).mul(s2);
    }

    /** The scalar twin of {@link #exp(FloatVector)}: the same operations in the same order, so the same bits. */
    public static float exp(float x) {
        float xc = Math.max(Math.min(x, EXP_HI), EXP_LO);
        float t = Math.fma(xc, LOG2E, ROUND);
        float n = t - ROUND;
        float r = Math.fma(n, -LN2_LO, Math.fma(n, -LN2_HI, xc));
        float p = Math.fma(r, C7, C6);
        p = Math.fma(p, r, C5);
        p = Math.fma(p, r, C4);
        p = Math.fma(p, r, C3);
        p = Math.fma(p, r, C2);
        p = Math.fma(p, r, 1f);
        p = Math.fma(p, r, 1f);
        int ni = Float.floatToRawIntBits(t) - ROUND_BITS;
        int n1 = ni >> 1;
        return p * Float.intBitsToFloat((n1 + 127) << 23) * Float.intBitsToFloat((ni - n1 + 127) << 23);
    }

    // ---- sigmoid ----

    /**
     * 1 / (1 + e^-x) per lane, within 2.5 ulp (the error of exp plus two roundings), as e^x / (1 + e^x) for
     * negative x so that e^-x cannot overflow: sigmoid(-100) is 3.7e-44, not the 0 that 1 / (1 + inf) gives.
     */
    public static FloatVector sigmoid(FloatVector x) {
        FloatVector e = exp(x.abs().neg());
        return x.broadcast(1f).blend(e, x.compare(VectorOperators.LT, 0f)).div(e.add(1f));
    }

    public static float sigmoid(float x) {
        float e = exp(-Math.abs(x));
        return (x < 0f ? e : 1f) / (e + 1f);
    }

    // ---- tanh ----

    /**
     * tanh per lane, within 2 ulp, from w = e^(-2|x|) = 2^n·e^r: below |x| = 0.55 as -u / (u + 2) with
     * u = w - 1 = 2^n·(e^r - 1) + (2^n - 1) formed without cancellation (so small |x| keep their relative
     * accuracy), above as 1 - 2w / (1 + w); then x's sign. NaN stays NaN, ±inf gives ±1, -0 gives -0.
     */
    public static FloatVector tanh(FloatVector x) {
        // in pieces: C2 inlines a hot method of at most 325 bytecodes (FreqInlineSize), and a call it does not
        // inline passes its vectors boxed, ~5x slower
        FloatVector ax = x.abs();
        FloatVector y = ax.mul(-2f).max(-TANH_CLAMP);
        FloatVector t = y.fma(LOG2E, ROUND);
        FloatVector em = expm1Reduced(reduce(y, t.sub(ROUND)));
        FloatVector s = t.reinterpretAsInts().sub(ROUND_BITS - 127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats(); // 2^n, n in [-58, 0]
        FloatVector small = tanhSmall(s.fma(em, s.sub(1f)));
        FloatVector w = em.add(1f).mul(s);
        FloatVector large = w.add(w).div(w.add(1f)).neg().add(1f);
        FloatVector th = large.blend(small, ax.compare(VectorOperators.LT, TANH_SMALL));
        return th.reinterpretAsInts().or(x.reinterpretAsInts().and(SIGN)).reinterpretAsFloats();
    }

    /** y - n·ln2 in two steps (Cody-Waite); the first is exact. */
    private static FloatVector reduce(FloatVector y, FloatVector n) {
        return n.fma(y.broadcast(-LN2_LO), n.fma(y.broadcast(-LN2_HI), y));
    }

    /** e^r - 1 for |r| <= ln2/2: r + r²·(1/2 + r/6 + ... + r⁶/8!). */
    private static FloatVector expm1Reduced(FloatVector r) {
        FloatVector q = r.fma(C8, C7).fma(r, r.broadcast(C6)).fma(r, r.broadcast(C5)).fma(r, r.broadcast(C4))
                .fma(r, r.broadcast(C3)).fma(r, r.broadcast(C2));
        return r.mul(r).fma(q, r);
    }

    /** -u / (u + 2) with one Newton correction for the rounding of u + 2 (its error ev is exact by Fast2Sum). */
    private static FloatVector tanhSmall(FloatVector u) {
        FloatVector v = u.add(2f), ev = v.neg().add(2f).add(u);
        FloatVector th0 = u.neg().div(v);
        return th0.sub(th0.fma(ev, th0.fma(v, u)).div(v)).abs(); // abs: u = +0 gives -0
    }

    public static float tanh(float x) {
        float ax = Math.abs(x);
        float y = Math.max(ax * -2f, -TANH_CLAMP);
        float t = Math.fma(y, LOG2E, ROUND);
        float n = t - ROUND;
        float r = Math.fma(n, -LN2_LO, Math.fma(n, -LN2_HI, y));
        float q = Math.fma(r, C8, C7);
        q = Math.fma(q, r, C6);
        q = Math.fma(q, r, C5);
        q = Math.fma(q, r, C4);
        q = Math.fma(q, r, C3);
        q = Math.fma(q, r, C2);
        float em = Math.fma(r * r, q, r);
        float s = Float.intBitsToFloat((Float.floatToRawIntBits(t) - (ROUND_BITS - 127)) << 23);
        float th;
        if (ax < TANH_SMALL) {
            float u = Math.fma(s, em, s - 1f);
            float v = u + 2f, ev = -v + 2f + u;
            float th0 = -u / v;
            th = Math.abs(th0 - Math.fma(th0, ev, Math.fma(th0, v, u)) / v);
        } else {
            float w = (em + 1f) * s;
            th = -((w + w) / (w + 1f)) + 1f;
        }
        return Float.intBitsToFloat(Float.floatToRawIntBits(th) | (Float.floatToRawIntBits(x) & SIGN));
    }

    // ---- log ----

    /**
     * Natural log per lane, within 1 ulp: x = 2^e·m with m in [√½, √2), log m = 2·atanh(s), s = (m-1)/(m+1),
     * summed as f - (f²/2 - s·(f²/2 + R)) with f = m - 1 (exact) so that the rounding of s only reaches a term of order f³.
     * log(±0) = -inf, log(negative) = NaN, log(+inf) = +inf, NaN stays NaN; subnormals are scaled by 2^23 first.
     */
    public static FloatVector log(FloatVector x) {
        VectorMask<Float> tiny = x.compare(VectorOperators.LT, Float.MIN_NORMAL);
        FloatVector xs = x.blend(x.mul(TWO_23), tiny);
        IntVector ix = xs.reinterpretAsInts().sub(SQRT_HALF_BITS);
        IntVector e = ix.lanewise(VectorOperators.ASHR, 23);
        FloatVector m = ix.and(0x007fffff).add(SQRT_HALF_BITS).reinterpretAsFloats();
        FloatVector ef = ((FloatVector) e.convert(VectorOperators.I2F, 0)).sub(x.broadcast(0f).blend(TWO_23_LOG2, tiny));
        FloatVector f = m.sub(1f);
        FloatVector s = f.div(f.add(2f));
        FloatVector z = s.mul(s);
        FloatVector rr = z.fma(A11, A9).fma(z, x.broadcast(A7)).fma(z, x.broadcast(A5)).fma(z, x.broadcast(A3)).mul(z);
        FloatVector hfsq = f.mul(f).mul(0.5f);
        FloatVector logm = f.sub(hfsq.sub(s.mul(hfsq.add(rr)))); // = 2s + s·R with s's rounding only in the small term
        FloatVector result = ef.fma(x.broadcast(LN2_HI), ef.fma(x.broadcast(LN2_LO), logm));
        result = result.blend(Float.NEGATIVE_INFINITY, x.compare(VectorOperators.EQ, 0f));
        result = result.blend(Float.NaN, x.compare(VectorOperators.LT, 0f));
        result = result.blend(Float.POSITIVE_INFINITY, x.compare(VectorOperators.EQ, Float.POSITIVE_INFINITY));
        return result.blend(x, x.test(VectorOperators.IS_NAN));
    }

    public static float log(float x) {
        boolean tiny = x < Float.MIN_NORMAL;
        float xs = tiny ? x * TWO_23 : x;
        int ix = Float.floatToRawIntBits(xs) - SQRT_HALF_BITS;
        int e = ix >> 23;
        float m = Float.intBitsToFloat((ix & 0x007fffff) + SQRT_HALF_BITS);
        float ef = (float) e - (tiny ? TWO_23_LOG2 : 0f);
        float f = m - 1f;
        float s = f / (f + 2f);
        float z = s * s;
        float rr = Math.fma(z, A11, A9);
        rr = Math.fma(rr, z, A7);
        rr = Math.fma(rr, z, A5);
        rr = Math.fma(rr, z, A3);
        rr = rr * z;
        float hfsq = f * f * 0.5f;
        float logm = f - (hfsq - s * (hfsq + rr));
        float result = Math.fma(ef, LN2_HI, Math.fma(ef, LN2_LO, logm));
        if (x == 0f) return Float.NEGATIVE_INFINITY;
        if (x < 0f) return Float.NaN;
        if (x == Float.POSITIVE_INFINITY) return x;
        return x != x ? x : result;
    }

    // ---- reductions in a fixed order ----

    /**
     * The sum of the lanes as a fixed tree: lane i is added to lane i + L/2, then i + L/4, ..., so an 8-lane
     * vector gives ((v0+v4)+(v2+v6))+((v1+v5)+(v3+v7)) in every tier. Rotations by a constant shuffle were
     * measured as the cheapest fixed order (~1.5x {@code reduceLanes}; storing to an array and adding the
     * floats cost ~2x with a caller's buffer and ~20x with a new one).
     */
    public static float sum(FloatVector v) {
        Rotations<Float> r = floats(v.species());
        if (r.by32 != null) v = v.add(v.rearrange(r.by32));
        if (r.by16 != null) v = v.add(v.rearrange(r.by16));
        if (r.by8 != null) v = v.add(v.rearrange(r.by8));
        if (r.by4 != null) v = v.add(v.rearrange(r.by4));
        if (r.by2 != null) v = v.add(v.rearrange(r.by2));
        if (r.by1 != null) v = v.add(v.rearrange(r.by1));
        return v.lane(0);
    }

    /** The largest lane (NaN if any lane is NaN; +0 over -0), in the same fixed tree as {@link #sum(FloatVector)}. */
    public static float max(FloatVector v) {
        Rotations<Float> r = floats(v.species());
        if (r.by32 != null) v = v.max(v.rearrange(r.by32));
        if (r.by16 != null) v = v.max(v.rearrange(r.by16));
        if (r.by8 != null) v = v.max(v.rearrange(r.by8));
        if (r.by4 != null) v = v.max(v.rearrange(r.by4));
        if (r.by2 != null) v = v.max(v.rearrange(r.by2));
        if (r.by1 != null) v = v.max(v.rearrange(r.by1));
        return v.lane(0);
    }

    /** The smallest lane (NaN if any lane is NaN; -0 under +0), in the same fixed tree as {@link #sum(FloatVector)}. */
    public static float min(FloatVector v) {
        Rotations<Float> r = floats(v.species());
        if (r.by32 != null) v = v.min(v.rearrange(r.by32));
        if (r.by16 != null) v = v.min(v.rearrange(r.by16));
        if (r.by8 != null) v = v.min(v.rearrange(r.by8));
        if (r.by4 != null) v = v.min(v.rearrange(r.by4));
        if (r.by2 != null) v = v.min(v.rearrange(r.by2));
        if (r.by1 != null) v = v.min(v.rearrange(r.by1));
        return v.lane(0);
    }

    /** The sum of double lanes in the same fixed tree as {@link #sum(FloatVector)}. */
    public static double sum(DoubleVector v) {
        Rotations<Double> r = doubles(v.species());
        if (r.by32 != null) v = v.add(v.rearrange(r.by32));
        if (r.by16 != null) v = v.add(v.rearrange(r.by16));
        if (r.by8 != null) v = v.add(v.rearrange(r.by8));
        if (r.by4 != null) v = v.add(v.rearrange(r.by4));
        if (r.by2 != null) v = v.add(v.rearrange(r.by2));
        if (r.by1 != null) v = v.add(v.rearrange(r.by1));
        return v.lane(0);
    }

    // The species checks fold away once C2 knows the vector's class; record fields are trusted as constants.
    private static Rotations<Float> floats(VectorSpecies<Float> s) {
        if (s == F256.species) return F256;
        if (s == F512.species) return F512;
        if (s == F128.species) return F128;
        if (s == F64.species) return F64;
        if (s == FMAX.species) return FMAX;
        throw new IllegalArgumentException("no rotations for " + s);
    }

    private static Rotations<Double> doubles(VectorSpecies<Double> s) {
        if (s == D256.species) return D256;
        if (s == D512.species) return D512;
        if (s == D128.species) return D128;
        if (s == D64.species) return D64;
        if (s == DMAX.species) return DMAX;
        throw new IllegalArgumentException("no rotations for " + s);
    }

    /** Lane rotations by 32, 16, ..., 1 for one species; null where the species has no more than that many lanes. */
    private record Rotations<E>(VectorSpecies<E> species, VectorShuffle<E> by32, VectorShuffle<E> by16, VectorShuffle<E> by8,
                                VectorShuffle<E> by4, VectorShuffle<E> by2, VectorShuffle<E> by1) {
        Rotations(VectorSpecies<E> species) {
            this(species, rotation(species, 32), rotation(species, 16), rotation(species, 8), rotation(species, 4),
                    rotation(species, 2), rotation(species, 1));
        }

        private static <E> VectorShuffle<E> rotation(VectorSpecies<E> species, int by) {
            if (species.length() > 64) throw new IllegalStateException("more than 64 lanes: " + species);
            return by < species.length() ? VectorShuffle.iota(species, by, 1, true) : null;
        }
    }
}
