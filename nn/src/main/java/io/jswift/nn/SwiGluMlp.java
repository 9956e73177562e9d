package io.jswift.nn;

import io.jswift.autograd.Variable;
import io.jswift.autograd.ops.Fused;
import io.jswift.tensor.Generator;

/** Llama/Qwen MLP: down_proj(silu(gate_proj(x)) * up_proj(x)). */
public final class SwiGluMlp extends Module {
    public SwiGluMlp(int hidden, int intermediate, boolean bias, Generator gen) {
        registerModule("gate_proj", new Linear(hidden, intermediate, bias, gen));
        registerModule("up_proj", new Linear(hidden, intermediate, bias, gen));
        registerModule("down_proj", new Linear(intermediate, hidden, bias, gen));
    }

    public Variable forward(Variable x) {
        Variable gate = LinearLayer.child(this, "gate_proj").forward(x);
        Variable up = LinearLayer.child(this, "up_proj").forward(x);
        return LinearLayer.child(this, "down_proj").forward(Fused.siluMul(gate, up));
    }
}
