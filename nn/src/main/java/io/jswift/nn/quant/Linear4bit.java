package io.jswift.nn.quant;

import io.jswift.autograd.Autograd;
import io.jswift.autograd.Context;
import io.jswift.autograd.Function;
import io.jswift.autograd.Variable;
import io.jswift.nn.LinearBase;
import io.jswift.nn.Module;
import io.jswift.nn.Parameter;
import io.jswift.tensor.DType;
import io.jswift.tensor.Device;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.quant.QuantState4bit;
import io.jswift.tensor.quant.QuantStateTensors;
import io.jswift.tensor.spi.Backend;
import io.jswift.tensor.spi.BinaryOp;
import io.jswift.tensor.spi.ReduceOp;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * bitsandbytes' {@code Linear4bit} as a frozen base layer: y = x·dequant(W)ᵀ + b in the compute dtype, gradient to
 * x (and a trainable bias) only. Dims: I = in, O = out, n = O·I, P = ceil(n/2) packed bytes.
 *
 * <p>As bnb's MatMul4Bit, W is dequantized to the state's dtype (the original weight dtype), cast to the compute
 * dtype, and never kept: the backward dequantizes again, so a training step holds the 4-bit weight only. The
 * quantization state is registered under transformers' names ({@code weight}, {@code weight.absmax},
 * {@code weight.quant_map}, {@code weight.nested_absmax}, {@code weight.nested_quant_map},
 * {@code weight.quant_state.bitsandbytes__nf4}), so the state dict is the checkpoint's, byte for byte.
 */
public final class Linear4bit extends Module implements LinearBase {
    private final int inFeatures, outFeatures;
    private final QuantState4bit state;
    private final DType computeDtype;
    private final Map<String, Parameter> stored = new LinkedHashMap<>(); // the quantized weight's tensors by name
    private final Parameter weight; // [P, 1] U8 packed, frozen
    private final Parameter bias;   // [O] or null
    private Tensor absmax;          // [blocks] F32, decoded from the (maybe double-quantized) state; a buffer

    /**
     * A layer over a stored quantized weight: {@code tensors} maps names under this layer ({@code weight},
     * {@code weight.absmax}, ...) to the checkpoint's tensors, {@code state} is what they decode to,
     * {@code bias} the [O] bias tensor (meta to be loaded later) or null.
     */
    public Linear4bit(Map<String, Tensor> tensors, QuantState4bit state, Tensor bias, DType computeDtype) {
        if (state.shape().length != 2) {
            throw new IllegalArgumentException("a 4-bit linear weight is 2-D [out, in], got shape " + Arrays.toString(state.shape()));
        }
        if (!computeDtype.isFloatingPoint()) throw new IllegalArgumentException("compute dtype must be floating, got " + computeDtype);
        this.outFeatures = state.shape()[0];
        this.inFeatures = state.shape()[1];
        this.state = state;
        this.computeDtype = computeDtype;
        tensors.forEach((name, t) -> {
            Parameter p = registerDottedParameter(name, new Parameter(t, false));
            stored.put(name, p);
        });
        this.weight = stored.get("weight");
        if (weight == null) throw new IllegalArgumentException("a 4-bit layer needs its packed 'weight' tensor");
        this.bias = bias == null ? null : registerParameter("bias", new Parameter(bias, false));
        this.absmax = Tensor.of(state.absmax(), state.blocks()).to(weight.device());
    }

    /** Quantizes a dense [O, I] weight (values as they are in {@code w}'s dtype) the way transformers does at load. */
    public static Linear4bit quantize(Tensor w, Tensor bias, QuantConfig4bit config) {
        Tensor f32 = w.dtype() == DType.F32 ? w : w.to(DType.F32); // the backend's cast, then one bulk copy: 4 bytes a weight in flight
        QuantState4bit.Quantized q = QuantState4bit.quantize(f32.toFloatArray(), w.shape(), w.dtype(), config.type(), config.doubleQuant());
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        QuantStateTensors.toTensors("weight", q).forEach((k, t) -> tensors.put(k, t.to(w.device())));
        return new Linear4bit(tensors, q.state(), bias, config.computeDtype());
    }

    @Override
    public Variable forward(Variable x) {
        return Autograd.apply(new Matmul4bit(this), x, bias == null ? null : bias.variable());
    }

    @Override
    public Variable project(Variable x) {
        return Autograd.apply(new Matmul4bit(this), x, null);
    }

    /** W [O, I] dequantized in the compute dtype (bnb: dequantize to the state dtype, then cast). */
    @Override
    public Tensor denseWeight() {
        Tensor packed = weight.value();
        Backend be = packed.backend();
        Tensor w = be.dequantize4bit(packed, absmax, state.type(), state.blocksize(), state.shape(), state.dtype());
        return w.dtype() == computeDtype ? w : be.cast(w, computeDtype);
    }

    @Override
    public Parameter bias() { return bias; }

    @Override
    public Map<String, Parameter> baseParameters() {
        Map<String, Parameter> out = new LinkedHashMap<>(stored);
        if (bias != null) out.put("bias", bias);
        return out;
    }

    public QuantState4bit state() { return state; }

    public DType computeDtype() { return computeDtype; }

    @Override
    protected void moveBuffers(Device device) { absmax = absmax.to(device); }

    @Override
    public int inFeatures() { return inFeatures; }

    @Override
    public int outFeatures() { return outFeatures; }

    /**
     * y = x·dequant(W)ᵀ (+ bias): inputs x [..., I] and an optional bias [O]; W is rebuilt in the backward
     * (dx = dy·W), nothing but the layer is saved. Computes in the layer's compute dtype; y and dx take x's dtype.
     */
    private record Matmul4bit(Linear4bit layer) implements Function {
        @Override
        public Tensor forward(Context ctx, Tensor... in) {
            Tensor x = in[0], bias = in[1];
            if (x.size(-1) != layer.inFeatures) {
                throw new IllegalArgumentException("Linear4bit(" + layer.inFeatures + " → " + layer.outFeatures + ") got input with last dim "
                        + x.size(-1) + " (shape " + Arrays.toString(x.shape()) + ")");
            }
            Backend be = x.backend();
            Tensor x2 = compute(be, x.reshape(-1, layer.inFeatures));
            QuantState4bit s = layer.state;
            Tensor y = s.dtype() == layer.computeDtype // W in the compute dtype already: the fused op may skip materializing it
                    ? be.matmul4bit(x2, layer.weight.value(), layer.absmax, s.type(), s.blocksize(), s.shape(), s.dtype())
                    : be.matmul(x2, layer.denseWeight(), false, true);
            if (bias != null) y = be.binary(BinaryOp.ADD, y, bias);
            if (y.dtype() != x.dtype()) y = be.cast(y, x.dtype());
            int[] out = x.shape();
            out[out.length - 1] = layer.outFeatures;
            return y.reshape(out);
        }

        @Override
        public Tensor[] backward(Context ctx, Tensor g) {
            Backend be = ctx.backend();
            Tensor g2 = g.reshape(-1, layer.outFeatures);
            Tensor dx = null, db = null;
            if (ctx.needsInputGrad(0)) {
                dx = be.matmul(compute(be, g2), layer.denseWeight(), false, false);
                if (dx.dtype() != g.dtype()) dx = be.cast(dx, g.dtype());
                dx = dx.reshape(ctx.inputShape(0));
            }
            if (ctx.needsInputGrad(1)) db = be.reduce(ReduceOp.SUM, g2, new int[]{0}, false);
            return new Tensor[]{dx, db};
        }

        private Tensor compute(Backend be, Tensor t) {
            return t.dtype() == layer.computeDtype ? t : be.cast(t, layer.computeDtype);
        }

        @Override
        public Tensor[] constants() { return new Tensor[]{layer.weight.value(), layer.absmax}; }
    }
}
