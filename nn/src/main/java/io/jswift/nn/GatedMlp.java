package io.jswift.nn;

import io.jswift.autograd.Variable;
import io.jswift.autograd.ops.Elementwise;
import io.jswift.autograd.ops.Fused;
import io.jswift.tensor.Generator;

/**
 * The gated MLP of Llama-flow decoders (HF LlamaMLP, GemmaMLP, ...): down_proj(act(gate_proj(x)) * up_proj(x)) with
 * the config's {@code hidden_act}. SiLU (SwiGLU) takes the fused silu·mul kernel; other activations compose.
 */
public final class GatedMlp extends Module {
    private final Activation activation;

    public GatedMlp(int hidden, int intermediate, boolean bias, Activation activation, Generator gen) {
        this.activation = activation;
        registerModule("gate_proj", new Linear(hidden, intermediate, bias, gen));
        registerModule("up_proj", new Linear(hidden, intermediate, bias, gen));
        registerModule("down_proj", new Linear(intermediate, hidden, bias, gen));
    }

    public Variable forward(Variable x) {
        Variable gate = LinearLayer.child(this, "gate_proj").forward(x);
        Variable up = LinearLayer.child(this, "up_proj").forward(x);
        Variable gated = activation == Activation.SILU ? Fused.siluMul(gate, up) : Elementwise.mul(activation.apply(gate), up);
        return LinearLayer.child(this, "down_proj").forward(gated);
    }

    public Activation activation() { return activation; }
}
