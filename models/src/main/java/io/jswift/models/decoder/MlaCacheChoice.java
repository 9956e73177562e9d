package io.jswift.models.decoder;

/**
 * Which KV cache DeepSeek's latent attention decodes with: {@code -Djswift.mla_cache=expanded} (default: per-head keys
 * and values) or {@code latent} (the compressed latent, about 9x less memory a position, slower on the CPU at the
 * contexts measured; see {@link DecoderStack#newCache}). One rule, read where a cache is made.
 */
final class MlaCacheChoice {
    static final String PROPERTY = "jswift.mla_cache";

    private MlaCacheChoice() {}

    static boolean latentRequested() { return latentRequested(System.getProperty(PROPERTY, "expanded")); }

    static boolean latentRequested(String value) {
        return switch (value) {
            case "expanded" -> false;
            case "latent" -> true;
            default -> throw new IllegalArgumentException("-D" + PROPERTY + "=" + value + ": expected expanded or latent");
        };
    }
}
