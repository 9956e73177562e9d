package io.jswift.backend.gpu;

import io.jswift.tensor.DType;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Builds a {@link ProgramSource} from the dialect's files in {@code kernels/}: the operand type macros of
 * {@link KernelTypes}, other #defines, then {@code common.h}, shared device functions and the kernel file.
 * {@code KernelSource.of("copy.c").type("SRC", F32).type("DST", BF16).define("OP", "3").build()}.
 */
public final class KernelSource {
    private static final Map<String, String> FILES = new ConcurrentHashMap<>();

    private final String file;
    private final List<ProgramSource.Define> defines = new ArrayList<>();
    private final List<String> includes = new ArrayList<>();
    private boolean fp64;

    private KernelSource(String file) { this.file = file; }

    public static KernelSource of(String file) { return new KernelSource(file); }

    /** Operand macros {@code NAME_T / NAME_C / NAME_LOAD / NAME_STORE} for {@code dtype}. */
    public KernelSource type(String name, DType dtype) {
        if (dtype == DType.F64) fp64 = true;
        for (String[] d : KernelTypes.defines(name, dtype)) define(d[0], d[1]);
        return this;
    }

    /** The compute type {@code name}: float, or double when {@code dtype} is F64. */
    public KernelSource real(String name, DType dtype) {
        if (dtype == DType.F64) fp64 = true;
        return define(name, dtype == DType.F64 ? "double" : "float");
    }

    public KernelSource define(String name, Object value) {
        defines.add(new ProgramSource.Define(name, String.valueOf(value)));
        return this;
    }

    /** Another file of shared device functions, placed after common.h and before the kernel file. */
    public KernelSource include(String file) {
        includes.add(file);
        return this;
    }

    /** Double precision in the program (a kernel that computes in double without an F64 operand). */
    public KernelSource fp64() {
        fp64 = true;
        return this;
    }

    public ProgramSource build() {
        List<ProgramSource.Define> all = new ArrayList<>();
        if (fp64) all.add(new ProgramSource.Define("HAS_FP64", "1"));
        all.addAll(defines);
        StringBuilder body = new StringBuilder(resource("common.h")).append('\n');
        for (String inc : includes) body.append(resource(inc)).append('\n');
        body.append(resource(file));
        return new ProgramSource(file, all, body.toString());
    }

    /** The text of kernel file {@code name} (kernels/ in this module's resources). */
    public static String resource(String name) {
        return FILES.computeIfAbsent(name, n -> {
            try (InputStream in = KernelSource.class.getResourceAsStream("kernels/" + n)) {
                if (in == null) throw new IllegalStateException("missing kernel resource kernels/" + n);
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }
}
