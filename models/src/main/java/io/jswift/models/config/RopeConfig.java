package io.jswift.models.config;

import io.jswift.nn.RopeScaling;

/** Rotary position embedding: base theta, its scaling, and the context length the model was configured for. */
public record RopeConfig(double theta, RopeScaling scaling, int maxPositionEmbeddings) {
    /** rope_theta + rope_scaling (transformers 4) or rope_parameters (transformers 5). */
    static RopeConfig parse(ConfigJson c) {
        ConfigJson params = c.optObject("rope_parameters");
        ConfigJson scaling = params != null ? params : c.optObject("rope_scaling");
        double theta = params != null && params.has("rope_theta") ? params.requireDouble("rope_theta") : c.optDouble("rope_theta", 10000.0);
        int maxPositions = c.optInt("max_position_embeddings", 2048);
        if (scaling == null) return new RopeConfig(theta, RopeScaling.NONE, maxPositions);
        String type = scaling.optString("rope_type", scaling.optString("type", "default"));
        if (type.equals("default")) return new RopeConfig(theta, RopeScaling.NONE, maxPositions);
        try {
            return new RopeConfig(theta, new RopeScaling(type, scaling.optDouble("factor", 1), scaling.optDouble("low_freq_factor", 0),
                    scaling.optDouble("high_freq_factor", 0), scaling.optInt("original_max_position_embeddings", 0)), maxPositions);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(c.file() + ": " + e.getMessage());
        }
    }
}
