package io.jswift.models.config;

import io.jswift.nn.Activation;

/**
 * The gated MLP: down_proj(act(gate_proj(x)) * up_proj(x)) with HF's {@code hidden_act} and {@code mlp_bias};
 * {@code fusedGateUp}: one {@code gate_up_proj} [2I, C] whose first half is the gate (GLM-4, Phi-3).
 */
public record MlpConfig(int intermediateSize, Activation activation, boolean bias, boolean fusedGateUp) {
    public MlpConfig {
        if (intermediateSize <= 0) throw new IllegalArgumentException("intermediate_size must be > 0, got " + intermediateSize);
    }
}
