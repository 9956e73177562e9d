package io.jswift.nn.moe;

import io.jswift.autograd.Variable;
import io.jswift.autograd.ops.Elementwise;
import io.jswift.autograd.ops.Grouped;
import io.jswift.autograd.ops.Views;
import io.jswift.nn.Init;
import io.jswift.nn.Module;
import io.jswift.nn.Parameter;
import io.jswift.tensor.Generator;
import io.jswift.tensor.Tensor;

import java.util.List;

/**
 * transformers' GptOssExperts, under its state-dict names: {@code gate_up_proj} [E, C, 2I] used as x·W, whose gate and
 * up are the even and odd columns (gate_up[..., ::2], gate_up[..., 1::2]), {@code gate_up_proj_bias} [E, 2I],
 * {@code down_proj} [E, I, C] and {@code down_proj_bias} [E, C]; the activation is {@link ClampedSwiGlu}. Rows arrive
 * grouped by expert, so each projection is one grouped GEMM ({@link Grouped#matmul}) plus its expert's bias row.
 * Dims: E experts, C hidden, I expert intermediate, M grouped rows.
 */
public final class GptOssExperts extends Module implements RoutedExperts {
    private final Parameter gateUp, gateUpBias, down, downBias;

    public GptOssExperts(int numExperts, int hidden, int intermediate, Generator gen) {
        gateUp = registerParameter("gate_up_proj", new Parameter(Init.kaimingUniform(gen, hidden, numExperts, hidden, 2 * intermediate)));
        gateUpBias = registerParameter("gate_up_proj_bias", new Parameter(Init.kaimingUniform(gen, hidden, numExperts, 2 * intermediate)));
        down = registerParameter("down_proj", new Parameter(Init.kaimingUniform(gen, intermediate, numExperts, intermediate, hidden)));
        downBias = registerParameter("down_proj_bias", new Parameter(Init.kaimingUniform(gen, intermediate, numExperts, hidden)));
    }

    @Override
    public Variable forward(Variable rows, int[] counts) {
        return forward(rows, gateUp.effective(), gateUpBias.effective(), down.effective(), downBias.effective(), counts);
    }

    /** The experts of these tensors (shapes as the fields') on rows [M, C] grouped by expert → [M, C]. */
    static Variable forward(Variable rows, Variable gateUp, Variable gateUpBias, Variable down, Variable downBias, int[] counts) {
        Tensor expertOfRow = expertOfRow(counts).to(rows.value().device());
        int m = rows.size(0), intermediate = down.size(1);
        Variable both = Elementwise.add(Grouped.matmul(rows, gateUp, counts), Views.indexSelect(gateUpBias, 0, expertOfRow)); // [M, 2I]
        Variable pairs = Views.reshape(both, m, intermediate, 2);                                 // (gate, up) interleaved
        Variable gate = Views.reshape(Views.narrow(pairs, 2, 0, 1), m, intermediate);
        Variable up = Views.reshape(Views.narrow(pairs, 2, 1, 1), m, intermediate);
        Variable gated = ClampedSwiGlu.apply(gate, up);                                          // [M, I]
        return Elementwise.add(Grouped.matmul(gated, down, counts), Views.indexSelect(downBias, 0, expertOfRow));
    }

    /** [M] I64: the expert of each grouped row. */
    private static Tensor expertOfRow(int[] counts) {
        int total = 0;
        for (int c : counts) total += c;
        long[] out = new long[total];
        int at = 0;
        for (int e = 0; e < counts.length; e++) for (int i = 0; i < counts[e]; i++) out[at++] = e;
        return Tensor.ofLongs(out, total);
    }

    /** transformers' GptOssExperts is_transposed = True: x·W[e] with W [E, in, out]. */
    @Override
    public boolean transposedWeights() { return true; }

    public int numExperts() { return gateUp.shape()[0]; }

    /** gate_up_proj and down_proj. */
    public List<Parameter> weights() { return List.of(gateUp, down); }

    /** gate_up_proj_bias and down_proj_bias. */
    public List<Parameter> biases() { return List.of(gateUpBias, downBias); }
}
