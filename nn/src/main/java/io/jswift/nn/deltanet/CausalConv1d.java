package io.jswift.nn.deltanet;

import io.jswift.autograd.Variable;
import io.jswift.autograd.ops.Elementwise;
import io.jswift.autograd.ops.Views;
import io.jswift.nn.Init;
import io.jswift.nn.Module;
import io.jswift.nn.Parameter;
import io.jswift.tensor.DType;
import io.jswift.tensor.Generator;
import io.jswift.tensor.Tensor;

import java.util.List;

/**
 * A depthwise causal conv1d without bias (torch nn.Conv1d(C, C, K, groups=C, padding=K-1) keeping the first T outputs,
 * as transformers' causal_conv1d_fn): out[t, c] = Σ_j weight[c, 0, j] · x[t - (K-1) + j, c], with the K-1 positions
 * before the first taken from {@code window} (the cached inputs of a decode, else zeros). Composed of views, products
 * and sums, so autograd gives its backward. Dims: B batch, T tokens, C channels, K taps.
 */
public final class CausalConv1d extends Module {
    private final Parameter weight; // [C, 1, K]
    private final int channels, kernel;

    public CausalConv1d(int channels, int kernel, Generator gen) {
        this.channels = channels;
        this.kernel = kernel;
        this.weight = registerParameter("weight", new Parameter(Init.kaimingUniform(gen, kernel, channels, 1, kernel)));
    }

    public Parameter weight() { return weight; }

    public int kernel() { return kernel; }

    /**
     * x [B, T, C] → [B, T, C] (before the activation); {@code window} [B, K-1, C] or null (zeros); {@code tapMask}
     * [B, T, K] (0 drops tap j of position t: its input belongs to another sequence) or null.
     */
    public Variable forward(Variable x, Tensor window, Tensor tapMask) {
        return convolve(x, weight.variable(), window, tapMask);
    }

    /** The same with the weight [C, 1, K] given. */
    public static Variable convolve(Variable x, Variable weight, Tensor window, Tensor tapMask) {
        int b = x.size(0), t = x.size(1), channels = weight.size(0), kernel = weight.size(2);
        Variable padded = x;
        if (kernel > 1) {
            Tensor before = window != null ? window : Tensor.zeros(x.value().dtype(), b, kernel - 1, channels).to(x.value().device());
            padded = Views.concat(List.of(Variable.constant(before.to(x.value().dtype())), x), 1); // [B, K-1+T, C]
        }
        Variable w = Views.reshape(weight, channels, kernel);
        Variable out = null;
        for (int j = 0; j < kernel; j++) {
            Variable tap = Elementwise.mul(Views.narrow(padded, 1, j, t), Views.reshape(Views.narrow(w, 1, j, 1), channels));
            if (tapMask != null) tap = Elementwise.mul(tap, Variable.constant(tapMask.narrow(2, j, 1).to(x.value().dtype())));
            out = out == null ? tap : Elementwise.add(out, tap);
        }
        return out;
    }

    /** The last K-1 inputs of {@code window} followed by {@code x} [B, T, C]: the window the next call starts from. */
    public Tensor nextWindow(Tensor window, Tensor x) {
        int b = x.size(0), t = x.size(1), keep = kernel - 1;
        Tensor before = window != null ? window : Tensor.zeros(DType.F32, b, keep, channels).to(x.device());
        Tensor all = Tensor.zeros(DType.F32, b, keep + t, channels).to(x.device());
        all.backend().copy(before, all.narrow(1, 0, keep));
        all.backend().copy(x, all.narrow(1, keep, t));
        return all.narrow(1, t, keep).contiguous();
    }
}
