package io.jswift.train.optim;

import io.jswift.nn.Parameter;
import io.jswift.tensor.DType;
import io.jswift.tensor.Tensor;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Per-parameter state buffers by "parameter name.buffer name", allocated lazily on the parameter's device. */
final class OptimizerState {
    private final Map<String, Tensor> buffers = new LinkedHashMap<>();

    Tensor get(String param, String buffer, Parameter p) {
        return buffers.computeIfAbsent(param + "." + buffer, k -> p.value().backend().allocate(bufferType(p), p.shape()));
    }

    /** f32 state for f32 (and 16-bit) parameters; f64 for f64 parameters (gradient-check precision). */
    private static DType bufferType(Parameter p) {
        return p.value().dtype() == DType.F64 ? DType.F64 : DType.F32;
    }

    Tensor peek(String param, String buffer) {
        return buffers.get(param + "." + buffer);
    }

    Map<String, Tensor> snapshot() {
        return java.util.Collections.unmodifiableMap(new LinkedHashMap<>(buffers));
    }

    /** Replaces the buffers with {@code state}, checking that every name belongs to a known parameter and buffer. */
    void load(Map<String, Tensor> state, List<ParamGroup> groups, List<String> bufferNames) {
        Map<String, Parameter> known = new LinkedHashMap<>();
        for (ParamGroup g : groups) g.parameters().forEach(known::put);
        Map<String, Tensor> next = new LinkedHashMap<>();
        for (var e : state.entrySet()) {
            String key = e.getKey();
            int dot = key.lastIndexOf('.');
            String param = dot < 0 ? "" : key.substring(0, dot), buffer = dot < 0 ? key : key.substring(dot + 1);
            Parameter p = known.get(param);
            if (p == null || !bufferNames.contains(buffer)) {
                throw new IllegalArgumentException("optimizer state has unknown entry '" + key + "'");
            }
            if (!Arrays.equals(p.shape(), e.getValue().shape())) {
                throw new IllegalArgumentException("optimizer state '" + key + "' has shape " + Arrays.toString(e.getValue().shape())
                        + " but the parameter has shape " + Arrays.toString(p.shape()));
            }
            next.put(key, e.getValue().to(p.value().device()).to(bufferType(p)).copy());
        }
        buffers.clear();
        buffers.putAll(next);
    }
}
