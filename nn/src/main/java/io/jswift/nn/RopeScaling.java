package io.jswift.nn;

/**
 * HF `rope_scaling` / `rope_parameters`: type "default", "linear" (positions divided by factor) or
 * "llama3" (frequency-dependent scaling of Llama 3.1+, see {@link RotaryEmbedding}).
 */
public record RopeScaling(String type, double factor, double lowFreqFactor, double highFreqFactor,
                          int originalMaxPositionEmbeddings) {
    public static final RopeScaling NONE = new RopeScaling("default", 1, 0, 0, 0);

    public RopeScaling {
        if (!type.equals("default") && !type.equals("linear") && !type.equals("llama3")) {
            throw new IllegalArgumentException("unsupported rope scaling type '" + type + "' (supported: default, linear, llama3)");
        }
        if (!type.equals("default") && !(factor > 0)) throw new IllegalArgumentException("rope scaling factor must be > 0, got " + factor);
        if (type.equals("llama3") && !(highFreqFactor > lowFreqFactor && originalMaxPositionEmbeddings > 0)) {
            throw new IllegalArgumentException("llama3 rope scaling needs high_freq_factor > low_freq_factor and original_max_position_embeddings > 0");
        }
    }
}
