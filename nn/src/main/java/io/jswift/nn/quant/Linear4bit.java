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
import io.jswift.tensor.quant.FourBitType;
import io.jswift.tensor.quant.QuantStateTensors;
import io.jswift.tensor.quant.Weight4bit;
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
    private final FourBitType type;
    private final int blocksize;
    private final DType stateDtype;   // the original weight's dtype, which W dequantizes to
    private final QuantState4bit.Nested nestedLayout; // double quantization's blocksize and offset (no arrays), or null
    private final DType computeDtype;
    private final Map<String, Parameter> stored = new LinkedHashMap<>(); // the quantized weight's tensors by name
    private final Parameter weight; // [P, 1] U8 packed, frozen
    private final Parameter bias;   // [O] or null

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
        this.type = state.type();
        this.blocksize = state.blocksize();
        this.stateDtype = state.dtype();
        QuantState4bit.Nested n = state.nested();
        this.nestedLayout = n == null ? null : new QuantState4bit.Nested(null, null, null, n.blocksize(), n.offset());
        this.computeDtype = computeDtype;
        tensors.forEach((name, t) -> {
            Parameter p = registerDottedParameter(name, new Parameter(t, false));
            stored.put(name, p);
        });
        this.weight = stored.get("weight");
        if (weight == null) throw new IllegalArgumentException("a 4-bit layer needs its packed 'weight' tensor");
        this.bias = bias == null ? null : registerParameter("bias", new Parameter(bias, false));
        stored("weight.absmax"); // (the rest is checked by Weight4bit at the first product)
        if (nestedLayout != null) {
            stored("weight.nested_absmax");
            stored("weight.nested_quant_map");
        }
    }

    private Tensor stored(String name) {
        Parameter p = stored.get(name);
        if (p == null) throw new IllegalArgumentException("a 4-bit layer needs its '" + name + "' tensor");
        return p.value();
    }

    /**
     * The weight as the backend ops take it, over the stored tensors themselves: a double-quantized absmax stays 8-bit
     * codes (1 byte a block of 64) that the kernels decode, instead of 4-byte floats decoded at load.
     */
    public Weight4bit weight4bit() {
        Weight4bit.Absmax absmax = nestedLayout == null ? new Weight4bit.Plain(stored("weight.absmax"))
                : new Weight4bit.Nested(stored("weight.absmax"), stored("weight.nested_absmax"), stored("weight.nested_quant_map"),
                        nestedLayout.blocksize(), nestedLayout.offset());
        return new Weight4bit(weight.value(), absmax, type, blocksize, new int[]{outFeatures, inFeatures});
    }

    /** Elements of the weight read (and cast to float32) at a time while quantizing: 4 MiB of floats in flight. */
    private static final int QUANTIZE_SLICE = 1 << 20;

    /**
     * Quantizes a dense [O, I] weight (values as they are in {@code w}'s dtype) the way transformers does at load.
     * The weight is read a slice at a time (the backend's cast, then one bulk copy), never whole as floats, and each
     * slice's pages of a memory-mapped checkpoint are dropped from the resident set once read
     * ({@link Tensor#unloadMappedPages()}): quantizing a Qwen2.5-7B-shaped model at load otherwise kept every bf16
     * page it had read resident, 0.47 GB a layer (docs/BENCHMARKS.md).
     */
    public static Linear4bit quantize(Tensor w, Tensor bias, QuantConfig4bit config) {
        Tensor flat = w.contiguous().reshape(-1);
        QuantState4bit.Quantized q = QuantState4bit.quantize((from, count) -> {
            Tensor part = flat.narrow(0, from, count);
            float[] values = (part.dtype() == DType.F32 ? part : part.to(DType.F32)).toFloatArray();
            part.unloadMappedPages();
            return values;
        }, w.shape(), w.dtype(), config.type(), config.doubleQuant(), QUANTIZE_SLICE);
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
        Backend be = weight.value().backend();
        Tensor w = be.dequantize4bit(weight4bit(), stateDtype);
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

    /** The quantization state, read back from the stored tensors (the layer keeps no decoded copy). */
    public QuantState4bit state() {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        stored.forEach((k, p) -> tensors.put(k, p.value().to(Device.CPU)));
        return QuantStateTensors.read("weight", tensors, "Linear4bit").state();
    }

    public DType computeDtype() { return computeDtype; }

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
            Tensor y = layer.stateDtype == layer.computeDtype // W in the compute dtype already: the fused op may skip materializing it
                    ? be.matmul4bit(x2, layer.weight4bit(), true, layer.stateDtype)
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
                Tensor g3 = compute(be, g2);
                dx = layer.stateDtype == layer.computeDtype ? be.matmul4bit(g3, layer.weight4bit(), false, layer.stateDtype)
                        : be.matmul(g3, layer.denseWeight(), false, false);
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
        public Tensor[] constants() { return new Tensor[]{layer.weight.value(), layer.stored("weight.absmax")}; }
    }
}
