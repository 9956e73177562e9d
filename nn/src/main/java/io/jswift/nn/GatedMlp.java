package io.jswift.nn;

import io.jswift.autograd.Variable;
import io.jswift.autograd.ops.Elementwise;
import io.jswift.autograd.ops.Fused;
import io.jswift.autograd.ops.Views;
import io.jswift.tensor.Generator;

/**
 * The gated MLP of Llama-flow decoders (HF LlamaMLP, GemmaMLP, ...): down_proj(act(gate_proj(x)) * up_proj(x)) with
 * the config's {@code hidden_act}. SiLU (SwiGLU) takes the fused silu·mul kernel; other activations compose.
 * Fused (GLM-4, Phi-3): one {@code gate_up_proj} [2I, C] whose output splits into gate (first I) and up (last I).
 * Dims: C hidden, I intermediate.
 */
public final class GatedMlp extends Module {
    private final Activation activation;
    private final int intermediate;
    private final boolean fused;

    public GatedMlp(int hidden, int intermediate, boolean bias, Activation activation, Generator gen) {
        this(hidden, intermediate, bias, activation, false, gen);
    }

    public GatedMlp(int hidden, int intermediate, boolean bias, Activation activation, boolean fusedGateUp, Generator gen) {
        this.activation = activation;
        this.intermediate = intermediate;
        this.fused = fusedGateUp;
        if (fused) {
            registerModule("gate_up_proj", new Linear(hidden, 2 * intermediate, bias, gen));
        } else {
            registerModule("gate_proj", new Linear(hidden, intermediate, bias, gen));
            registerModule("up_proj", new Linear(hidden, intermediate, bias, gen));
        }
        registerModule("down_proj", new Linear(intermediate, hidden, bias, gen));
    }

    public Variable forward(Variable x) {
        Variable gate, up;
        if (fused) { // HF: gate, up = gate_up_proj(x).chunk(2, dim=-1)
            Variable both = LinearLayer.child(this, "gate_up_proj").forward(x);
            int last = both.value().rank() - 1;
            gate = Views.narrow(both, last, 0, intermediate);
            up = Views.narrow(both, last, intermediate, intermediate);
        } else {
            gate = LinearLayer.child(this, "gate_proj").forward(x);
            up = LinearLayer.child(this, "up_proj").forward(x);
        }
        Variable gated = activation == Activation.SILU ? Fused.siluMul(gate, up) : Elementwise.mul(activation.apply(gate), up);
        return LinearLayer.child(this, "down_proj").forward(gated);
    }

    public Activation activation() { return activation; }
}
