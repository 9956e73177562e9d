package io.jswift.nn.deltanet;

import io.jswift.autograd.Variable;
import io.jswift.autograd.ops.Elementwise;
import io.jswift.autograd.ops.Views;
import io.jswift.nn.Activation;
import io.jswift.nn.Init;
import io.jswift.nn.Linear;
import io.jswift.nn.LinearLayer;
import io.jswift.nn.Module;
import io.jswift.nn.Parameter;
import io.jswift.tensor.DType;
import io.jswift.tensor.Device;
import io.jswift.tensor.Generator;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.UnaryOp;

import java.util.List;

/**
 * transformers' Qwen3NextGatedDeltaNet, the linear-attention token mixer of Qwen3-Next (and of Qwen3.5's language model):
 * <ol>
 *   <li>{@code in_proj_qkvz} [Hk·(2Dk + 2r·Dv), C] and {@code in_proj_ba} [Hk·2r, C], r = Hv/Hk, grouped per key head:
 *       each key head's block holds its q (Dk), k (Dk), then the v (r·Dv) and z (r·Dv) of its r value heads; likewise b
 *       (r) then a (r) (fix_query_key_value_ordering);</li>
 *   <li>the q | k | v channels through the depthwise causal {@code conv1d} and the activation (hidden_act);</li>
 *   <li>β = sigmoid(b), g = -exp({@code A_log}) · softplus(a + {@code dt_bias}); q and k repeated to the value heads
 *       (repeat_interleave: value head h reads key head h / r), then the gated delta rule ({@link GatedDeltaRule});</li>
 *   <li>{@code norm} (RMSNorm gated by silu(z), per value head) and {@code out_proj} [C, Hv·Dv].</li>
 * </ol>
 * Dims: B batch, T tokens, C hidden, Hk key heads of Dk, Hv value heads of Dv, K conv taps.
 */
public final class GatedDeltaNet extends Module {
    private final int numKeyHeads, numValueHeads, keyDim, valueDim;
    private final Activation activation;
    private final CausalConv1d conv1d;
    private final Parameter dtBias, aLog; // [Hv] each
    private final GatedRmsNorm norm;
    private final Tensor repeat;          // [Hv] I64: the key head of each value head, or null when Hv = Hk

    public GatedDeltaNet(int hidden, int numKeyHeads, int numValueHeads, int keyDim, int valueDim, int convKernel, double eps, Activation activation,
                         Generator gen) {
        if (numValueHeads % numKeyHeads != 0) throw new IllegalArgumentException("value heads " + numValueHeads + " must be a multiple of key heads " + numKeyHeads);
        this.numKeyHeads = numKeyHeads;
        this.numValueHeads = numValueHeads;
        this.keyDim = keyDim;
        this.valueDim = valueDim;
        this.activation = activation;
        int r = numValueHeads / numKeyHeads;
        conv1d = registerModule("conv1d", new CausalConv1d(2 * numKeyHeads * keyDim + numValueHeads * valueDim, convKernel, gen));
        registerModule("in_proj_qkvz", new Linear(hidden, numKeyHeads * (2 * keyDim + 2 * r * valueDim), false, gen));
        registerModule("in_proj_ba", new Linear(hidden, numKeyHeads * 2 * r, false, gen));
        dtBias = registerParameter("dt_bias", new Parameter(Init.constant(1, numValueHeads)));
        // Qwen3NextGatedDeltaNet: A ~ U(0.01, 16), stored as its log
        aLog = registerParameter("A_log", new Parameter(gen == null ? Init.constant(0, numValueHeads) : log(Init.uniform(gen, 0.01, 16, numValueHeads))));
        norm = registerModule("norm", new GatedRmsNorm(valueDim, eps));
        registerModule("out_proj", new Linear(numValueHeads * valueDim, hidden, false, gen));
        if (r > 1) {
            long[] index = new long[numValueHeads];
            for (int h = 0; h < numValueHeads; h++) index[h] = h / r;
            repeat = Tensor.ofLongs(index, numValueHeads);
        } else {
            repeat = null;
        }
    }

    private static Tensor log(Tensor t) { return t.backend().unary(UnaryOp.LOG, t); }

    public Parameter dtBias() { return dtBias; }

    public Parameter aLog() { return aLog; }

    public CausalConv1d conv1d() { return conv1d; }

    /**
     * x [B, T, C] → [B, T, C]. {@code state}: carried from the previous call and updated (incremental decoding), or null
     * (a whole sequence from zero). {@code keySegments} [B, P + T] (P positions before this call, whose inputs the
     * state holds): the segment of every position; a token whose predecessor has another segment starts from a zero
     * state and a zero conv window (packed samples, left padding), as each sequence run alone would. Null: one sequence.
     */
    public Variable forward(Variable x, DeltaNetState state, Tensor keySegments) {
        int b = x.size(0), t = x.size(1), r = numValueHeads / numKeyHeads;
        int qk = numKeyHeads * keyDim, vDims = numValueHeads * valueDim;
        Variable qkvz = Views.reshape(LinearLayer.child(this, "in_proj_qkvz").forward(x), b, t, numKeyHeads, 2 * keyDim + 2 * r * valueDim);
        Variable q = Views.reshape(Views.narrow(qkvz, 3, 0, keyDim), b, t, qk);
        Variable k = Views.reshape(Views.narrow(qkvz, 3, keyDim, keyDim), b, t, qk);
        Variable v = Views.reshape(Views.narrow(qkvz, 3, 2 * keyDim, r * valueDim), b, t, vDims);
        Variable z = Views.reshape(Views.narrow(qkvz, 3, 2 * keyDim + r * valueDim, r * valueDim), b, t, numValueHeads, valueDim);
        Variable ba = Views.reshape(LinearLayer.child(this, "in_proj_ba").forward(x), b, t, numKeyHeads, 2 * r);
        Variable beta = Elementwise.unary(UnaryOp.SIGMOID, Views.reshape(Views.narrow(ba, 3, 0, r), b, t, numValueHeads));
        Variable a = Views.reshape(Views.narrow(ba, 3, r, r), b, t, numValueHeads);

        Masks masks = keySegments == null ? null : masks(keySegments, t, conv1d.kernel());
        Variable mixed = Views.concat(List.of(q, k, v), 2); // [B, T, 2·Hk·Dk + Hv·Dv]
        Tensor window = state == null ? null : state.convWindow();
        Variable conv = activation.apply(conv1d.forward(mixed, window, masks == null ? null : masks.taps()));
        q = Views.reshape(Views.narrow(conv, 2, 0, qk), b, t, numKeyHeads, keyDim);
        k = Views.reshape(Views.narrow(conv, 2, qk, qk), b, t, numKeyHeads, keyDim);
        v = Views.reshape(Views.narrow(conv, 2, 2 * qk, vDims), b, t, numValueHeads, valueDim);
        if (repeat != null) {
            Tensor index = repeat.to(x.value().device());
            q = Views.indexSelect(q, 2, index);
            k = Views.indexSelect(k, 2, index);
        }
        // g = -exp(A_log) · softplus(a + dt_bias), in f32 (transformers casts A_log and a to float)
        Variable g = Elementwise.mul(Elementwise.unary(UnaryOp.NEG, Elementwise.unary(UnaryOp.EXP, widened(aLog))),
                softplus(Elementwise.add(a, dtBias.variable())));
        GatedDeltaRule.Result rule = GatedDeltaRule.apply(q, k, v, g, beta, state == null ? null : state.recurrent(),
                masks == null ? null : masks.keep());
        if (state != null) state.update(conv1d.nextWindow(window, mixed.value()), rule.state().value());
        Variable o = norm.forward(rule.output(), z); // [B, T, Hv, Dv]
        return LinearLayer.child(this, "out_proj").forward(Views.reshape(o, b, t, vDims));
    }

    /**
     * A bf16 / f16 parameter as f32 (transformers: A_log.float().exp(), so that exp is not rounded to the half type). Such
     * a parameter is frozen (trainable ones are f32 master weights), so a constant copy loses no gradient.
     */
    private static Variable widened(Parameter p) {
        DType t = p.value().dtype();
        return t == DType.BF16 || t == DType.F16 ? Variable.constant(p.value().to(DType.F32)) : p.variable();
    }

    /** torch's softplus log(1 + exp(x)) in the overflow-free form max(x, 0) + log(1 + exp(-|x|)). */
    static Variable softplus(Variable x) {
        Variable tail = Elementwise.unary(UnaryOp.EXP, Elementwise.unary(UnaryOp.NEG, Elementwise.unary(UnaryOp.ABS, x)));
        return Elementwise.add(Elementwise.unary(UnaryOp.RELU, x), Elementwise.unary(UnaryOp.LOG, Elementwise.addScalar(tail, 1)));
    }

    /** keep [B, T]: 1 where a token continues its predecessor's sequence; taps [B, T, K]: 1 where a conv tap reads the same sequence. */
    record Masks(Tensor keep, Tensor taps) {}

    static Masks masks(Tensor keySegments, int t, int kernel) {
        int b = keySegments.size(0), width = keySegments.size(1), before = width - t;
        long[] seg = keySegments.to(Device.CPU).contiguous().toLongArray();
        float[] keep = new float[b * t], taps = new float[b * t * kernel];
        for (int row = 0; row < b; row++) {
            for (int i = 0; i < t; i++) {
                int at = before + i;
                long own = seg[row * width + at];
                keep[row * t + i] = at > 0 && seg[row * width + at - 1] == own ? 1 : 0;
                for (int j = 0; j < kernel; j++) {
                    int src = at - (kernel - 1) + j;
                    taps[(row * t + i) * kernel + j] = src >= 0 && seg[row * width + src] == own ? 1 : 0;
                }
            }
        }
        Device device = keySegments.device();
        return new Masks(Tensor.of(keep, b, t).to(device), Tensor.of(taps, b, t, kernel).to(device));
    }
}
