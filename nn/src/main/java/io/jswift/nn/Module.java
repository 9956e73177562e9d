package io.jswift.nn;

import io.jswift.tensor.DType;
import io.jswift.tensor.Device;
import io.jswift.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A layer or model: named parameters and named child modules, so that the dotted path of every
 * parameter is its Hugging Face state-dict name ({@code model.layers.0.self_attn.q_proj.weight}).
 * Subclasses register their parts in the constructor and add a forward method of their own signature.
 */
public abstract class Module {
    private final Map<String, Parameter> parameters = new LinkedHashMap<>();
    private final Map<String, Module> children = new LinkedHashMap<>();
    private boolean training = true;

    protected final Parameter registerParameter(String name, Parameter p) {
        checkName(name);
        parameters.put(name, p);
        return p;
    }

    /**
     * A parameter whose state-dict name has dots under this module: transformers saves a bnb-4bit weight's state as
     * {@code weight.absmax}, {@code weight.quant_state.bitsandbytes__nf4}, ... beside {@code weight}. Each segment
     * must be a valid name and the whole name unused.
     */
    protected final Parameter registerDottedParameter(String dottedName, Parameter p) {
        for (String part : dottedName.split("\\.", -1)) {
            if (part.isEmpty()) throw new IllegalArgumentException("bad parameter name '" + dottedName + "'");
        }
        if (parameters.containsKey(dottedName) || children.containsKey(dottedName)) {
            throw new IllegalArgumentException("'" + dottedName + "' is already registered in " + getClass().getSimpleName());
        }
        parameters.put(dottedName, p);
        return p;
    }

    protected final <M extends Module> M registerModule(String name, M child) {
        checkName(name);
        children.put(name, child);
        return child;
    }

    private void checkName(String name) {
        if (name.isEmpty() || name.contains(".")) throw new IllegalArgumentException("bad module/parameter name '" + name + "'");
        if (parameters.containsKey(name) || children.containsKey(name)) {
            throw new IllegalArgumentException("'" + name + "' is already registered in " + getClass().getSimpleName());
        }
    }

    /** Replaces a registered child (how LoRA wraps a Linear in place). */
    public final <M extends Module> M replaceModule(String name, M replacement) {
        if (!children.containsKey(name)) throw new IllegalArgumentException("no child module '" + name + "' in " + getClass().getSimpleName());
        children.put(name, replacement);
        return replacement;
    }

    /**
     * Adds a child to a built module: how an adapter puts its weights beside a parameter it adapts, under the names PEFT
     * saves them (a ParamWrapper's {@code lora_A} / {@code lora_B} next to the fused expert tensors). Same name rules as
     * {@link #registerModule}.
     */
    public final <M extends Module> M attachModule(String name, M child) { return registerModule(name, child); }

    /** Removes a child added by {@link #attachModule} (an adapter unloaded or merged); returns it. */
    public final Module detachModule(String name) {
        Module m = children.remove(name);
        if (m == null) throw new IllegalArgumentException("no child module '" + name + "' in " + getClass().getSimpleName());
        return m;
    }

    public final Map<String, Module> children() { return java.util.Collections.unmodifiableMap(children); }

    /** Every parameter under this module by dotted path, in registration order. */
    public final Map<String, Parameter> namedParameters() {
        Map<String, Parameter> out = new LinkedHashMap<>();
        collect("", out);
        return out;
    }

    private void collect(String prefix, Map<String, Parameter> out) {
        parameters.forEach((n, p) -> out.put(prefix + n, p));
        children.forEach((n, m) -> m.collect(prefix + n + ".", out));
    }

    /** Every module under this one (itself included) by dotted path; the root's path is "". */
    public final Map<String, Module> namedModules() {
        Map<String, Module> out = new LinkedHashMap<>();
        out.put("", this);
        children.forEach((n, m) -> m.namedModules().forEach((k, v) -> out.put(k.isEmpty() ? n : n + "." + k, v)));
        return out;
    }

    public final List<Parameter> trainableParameters() {
        List<Parameter> out = new ArrayList<>();
        for (Parameter p : namedParameters().values()) if (p.requiresGrad()) out.add(p);
        return out;
    }

    /**
     * Moves every parameter (with its gradient) and every module-held tensor ({@link #moveBuffers}) to
     * {@code device}, in place, as torch's {@code Module.to}: Parameter objects keep their identity, requiresGrad and
     * frozen state, so optimizers and LoRA wrappers made before the move keep working. A parameter shared by
     * several modules (tied embeddings) moves once. Returns this module.
     */
    public final Module to(Device device) {
        io.jswift.tensor.Backends.forDevice(device); // an unknown or unavailable device fails here, naming the reason
        Set<Parameter> moved = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Parameter p : namedParameters().values()) if (moved.add(p)) p.to(device);
        for (Module m : namedModules().values()) m.moveBuffers(device);
        return this;
    }

    /**
     * Moves tensors this module holds outside its parameters (PyTorch's buffers, cached tables, a stashed
     * weight) to {@code device}; called by {@link #to(Device)} for every module. The default holds none.
     */
    protected void moveBuffers(Device device) {}

    /** The device of the first parameter that has data (cpu when there is none): where inputs must go. */
    public final Device device() {
        for (Parameter p : namedParameters().values()) if (!p.value().isMeta()) return p.device();
        return Device.CPU;
    }

    /** name → tensor of every parameter (HF state dict). */
    public final Map<String, Tensor> stateDict() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        namedParameters().forEach((n, p) -> out.put(n, p.value()));
        return out;
    }

    /**
     * Assigns tensors by name. Strict loading requires the names to match exactly and lists every missing,
     * unexpected and mis-shaped tensor in one {@link StateDictException}; non-strict ignores missing and
     * unexpected names but never a wrong shape. Float tensors keep their dtype unless the parameter is
     * trainable, where they become F32 master weights. A parameter that already has data keeps its device (the
     * loaded tensor is copied there, as torch's load_state_dict copies into the existing tensor); a meta one takes
     * the loaded tensor's. {@code source} names the file for messages.
     */
    public final void loadStateDict(Map<String, Tensor> state, boolean strict, String source) {
        Map<String, Parameter> params = namedParameters();
        List<String> missing = new ArrayList<>(), unexpected = new ArrayList<>(), mismatched = new ArrayList<>();
        for (var e : params.entrySet()) {
            Tensor t = state.get(e.getKey());
            if (t == null) {
                missing.add(e.getKey());
            } else if (!Arrays.equals(t.shape(), e.getValue().shape())) {
                mismatched.add(e.getKey() + " " + Arrays.toString(t.shape()) + " vs expected " + Arrays.toString(e.getValue().shape()));
            }
        }
        for (String name : state.keySet()) if (!params.containsKey(name)) unexpected.add(name);
        if (!mismatched.isEmpty() || (strict && (!missing.isEmpty() || !unexpected.isEmpty()))) {
            throw new StateDictException(source, missing, unexpected, mismatched);
        }
        for (var e : params.entrySet()) {
            Tensor t = state.get(e.getKey());
            if (t == null) continue;
            Parameter p = e.getValue();
            Tensor v = p.requiresGrad() && t.dtype() != DType.F32 && t.dtype() != DType.F64 ? t.to(DType.F32) : t;
            p.setValue(p.value().isMeta() ? v : v.to(p.device()));
        }
    }

    /**
     * Freezes (or unfreezes) every floating parameter under this module (buffers stay frozen); unfreezing turns 16-bit weights
     * into f32 master copies (the optimizer updates f32) and read-only (memory-mapped) ones into private copies.
     */
    public final void requiresGrad(boolean requiresGrad) {
        for (Parameter p : namedParameters().values()) {
            if (!p.value().dtype().isFloatingPoint() || p.isBuffer()) continue;
            if (requiresGrad && p.value().dtype() != DType.F32 && p.value().dtype() != DType.F64) p.setValue(p.value().to(DType.F32));
            else if (requiresGrad && isReadOnly(p.value())) p.setValue(p.value().copy()); // memory-mapped checkpoint: train a private copy
            p.setRequiresGrad(requiresGrad);
        }
    }

    private static boolean isReadOnly(Tensor t) {
        return t.storage() instanceof io.jswift.tensor.HostStorage h && h.segment().isReadOnly();
    }

    public final void zeroGrad() {
        for (Parameter p : namedParameters().values()) p.zeroGrad();
    }

    /** Training mode (dropout active) or evaluation mode, recursively. */
    public final void train(boolean on) {
        training = on;
        for (Module m : children.values()) m.train(on);
    }

    public final boolean isTraining() { return training; }

    public final long parameterCount() {
        long n = 0;
        for (Parameter p : namedParameters().values()) n += p.numel();
        return n;
    }
}
