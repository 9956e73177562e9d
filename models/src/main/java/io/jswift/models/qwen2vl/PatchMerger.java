package io.jswift.models.qwen2vl;

import io.jswift.autograd.Variable;
import io.jswift.autograd.ops.Views;
import io.jswift.models.config.Qwen2VlVisionConfig;
import io.jswift.nn.Activation;
import io.jswift.nn.LayerNorm;
import io.jswift.nn.Linear;
import io.jswift.nn.LinearLayer;
import io.jswift.nn.Module;
import io.jswift.nn.RMSNorm;
import io.jswift.tensor.Generator;

/**
 * The merger (the "aligner" in ms-swift's terms): {@code ln_q} (LayerNorm; RMSNorm in Qwen2.5-VL) on each patch, every
 * m² consecutive patches (one merge block, as the processor ordered them) joined into one row of m²·E, then
 * {@code mlp.0} (m²E → m²E), exact GELU, {@code mlp.2} (m²E → O): one LLM token per merge block.
 */
final class PatchMerger extends Module {
    private final Module lnQ;
    private final Module mlp;
    private final int joined;

    PatchMerger(Qwen2VlVisionConfig c, Generator gen) {
        int m2 = c.spatialMergeSize() * c.spatialMergeSize();
        joined = m2 * c.embedDim();
        lnQ = registerModule("ln_q", c.windowed() ? new RMSNorm(c.embedDim(), 1e-6) : new LayerNorm(c.embedDim(), 1e-6));
        mlp = registerModule("mlp", new Sequential());
        ((Sequential) mlp).add("0", new Linear(joined, joined, true, gen));
        ((Sequential) mlp).add("2", new Linear(joined, c.outDim(), true, gen));
    }

    /** patches [N, E] → tokens [N / m², O]. */
    Variable forward(Variable x) {
        Variable rows = Views.reshape(Qwen2VlVisionBlock.norm(lnQ, x), x.size(0) * x.size(1) / joined, joined);
        Variable hidden = Activation.GELU.apply(LinearLayer.child(mlp, "0").forward(rows));
        return LinearLayer.child(mlp, "2").forward(hidden);
    }

    /** nn.Sequential's numbered children (the GELU at index 1 has no weights). */
    static final class Sequential extends Module {
        void add(String name, Module m) { registerModule(name, m); }
    }
}
