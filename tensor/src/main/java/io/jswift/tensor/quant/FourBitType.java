package io.jswift.tensor.quant;

/**
 * bitsandbytes' 4-bit codes (functional.get_4bit_type; csrc/kernels.cu): 16 values in [-1, 1] that a 4-bit index
 * (a nibble) names. Quantization and dequantization follow the CUDA kernels, which wrote nearly every bnb-4bit
 * checkpoint: {@code dQuantizeNF4} / {@code dQuantizeFP4} are comparison trees with a strict '>', so a value exactly
 * on a threshold takes the lower code and NaN takes code 0 (see {@link Blockwise4bit} for where that matters);
 * {@code dDequantizeNF4} / {@code dDequantizeFP4Tree} read float lookup tables.
 */
public enum FourBitType {
    /** NormalFloat4 (QLoRA, appendix E): quantiles of N(0, 1), sorted, so the code is the rank. */
    NF4("nf4",
            new float[]{-1.0f, -0.6961928009986877f, -0.5250730514526367f, -0.39491748809814453f, -0.28444138169288635f,
                    -0.18477343022823334f, -0.09105003625154495f, 0.0f, 0.07958029955625534f, 0.16093020141124725f,
                    0.24611230194568634f, 0.33791524171829224f, 0.44070982933044434f, 0.5626170039176941f,
                    0.7229568362236023f, 1.0f},
            // dQuantizeNF4's tree thresholds (midpoints of neighbouring codes) in ascending order
            new float[]{-0.8480964004993439f, -0.6106329262256622f, -0.4599952697753906f, -0.33967943489551544f,
                    -0.23460740596055984f, -0.13791173323988914f, -0.045525018125772476f, 0.03979014977812767f,
                    0.1202552504837513f, 0.2035212516784668f, 0.2920137718319893f, 0.3893125355243683f,
                    0.5016634166240692f, 0.6427869200706482f, 0.8614784181118011f}),
    /**
     * FP4 e2m1 with bnb's bias (values 0, 0.0625, 2, 3, 4, 6, 8, 12 divided by 12); bit 3 is the sign, so the table
     * is in bit order, not value order.
     */
    FP4("fp4",
            new float[]{0.0f, 0.005208333333f, 0.66666667f, 1.0f, 0.33333333f, 0.5f, 0.16666667f, 0.25f,
                    -0.0f, -0.005208333333f, -0.66666667f, -1.0f, -0.33333333f, -0.5f, -0.16666667f, -0.25f},
            // dQuantizeFP4's thresholds on |x| in ascending order
            new float[]{0.00260417f, 0.0859375f, 0.20833333f, 0.29166667f, 0.4166667f, 0.583333f, 0.8333333f});

    /** FP4's 3-bit magnitude codes in ascending order of value: 0, 0.0625, 2, 3, 4, 6, 8, 12 (/12). */
    private static final int[] FP4_MAGNITUDES = {0b000, 0b001, 0b110, 0b111, 0b100, 0b101, 0b010, 0b011};

    private final String jsonName;
    private final float[] values;     // [16] the dequantization table, indexed by the nibble
    private final float[] thresholds; // the quantization tree's pivots, ascending

    FourBitType(String jsonName, float[] values, float[] thresholds) {
        this.jsonName = jsonName;
        this.values = values;
        this.thresholds = thresholds;
    }

    /** The name in quant_state JSON, tensor keys ({@code bitsandbytes__nf4}) and {@code bnb_4bit_quant_type}. */
    public String jsonName() { return jsonName; }

    /** The type named {@code name} ("nf4" / "fp4"), or null. */
    public static FourBitType fromName(String name) {
        for (FourBitType t : values()) if (t.jsonName.equals(name)) return t;
        return null;
    }

    /** The value of one nibble (kernels.cu's dequantization lookup table). */
    public float value(int nibble) { return values[nibble & 0xF]; }

    /** A copy of the 16 values in nibble order. */
    public float[] table() { return values.clone(); }

    /**
     * The {@code quant_map} bitsandbytes stores (get_4bit_type: the listed values divided by their largest magnitude,
     * in float32). Equal to {@link #table()} except FP4's nibble 0b1000 (+0.0 here, -0.0 in the kernel), kept apart
     * because it is what the file holds, not what the kernels read.
     */
    public float[] quantMap() {
        if (this == NF4) return values.clone();
        // Python's -0 in bnb's list is the integer 0: the stored map has +0.0 where the kernel's table has -0.0
        float[] raw = {0f, 0.0625f, 8f, 12f, 4f, 6f, 2f, 3f, 0f, -0.0625f, -8f, -12f, -4f, -6f, -2f, -3f};
        for (int i = 0; i < raw.length; i++) raw[i] /= 12f;
        return raw;
    }

    /**
     * The nibble of a value already scaled into [-1, 1] (CUDA's tree): the number of thresholds {@code x} exceeds,
     * strictly; NaN exceeds none. FP4 takes its sign bit from {@code x < 0}, so -0.0 is code 0b0000.
     */
    public int quantize(float x) {
        if (this == NF4) return above(x);
        int sign = x < 0 ? 0b1000 : 0;
        return FP4_MAGNITUDES[above(Math.abs(x))] | sign;
    }

    private int above(float x) {
        int n = 0;
        for (float t : thresholds) if (x > t) n++;
        return n;
    }
}
