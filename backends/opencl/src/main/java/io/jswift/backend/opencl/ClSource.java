package io.jswift.backend.opencl;

import io.jswift.tensor.DType;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Assembles a program's source: the shared header ({@code common.cl}: fp64 pragma, bf16 conversions, strided
 * offsets), the operand type macros of {@link ClTypes}, other #defines, then the kernel file. Builder use:
 * {@code ClSource.of("copy.cl").type("SRC", F32).type("DST", BF16).define("OP", "3").text()}.
 */
final class ClSource {
    private static final Map<String, String> FILES = new ConcurrentHashMap<>();

    private final String file;
    private final StringBuilder defines = new StringBuilder();
    private final StringBuilder includes = new StringBuilder();
    private boolean fp64;

    private ClSource(String file) { this.file = file; }

    static ClSource of(String file) { return new ClSource(file); }

    /** Operand macros {@code NAME_T / NAME_C / NAME_LOAD / NAME_STORE} for {@code dtype}. */
    ClSource type(String name, DType dtype) {
        if (dtype == DType.F64) fp64 = true;
        defines.append(ClTypes.define(name, dtype));
        return this;
    }

    /** The compute type {@code name} (float, or double when {@code dtype} is F64). */
    ClSource real(String name, DType dtype) {
        if (dtype == DType.F64) fp64 = true;
        defines.append("#define ").append(name).append(' ').append(dtype == DType.F64 ? "double" : "float").append('\n');
        return this;
    }

    ClSource define(String name, Object value) {
        defines.append("#define ").append(name).append(' ').append(value).append('\n');
        return this;
    }

    /** Another resource file (shared device functions) placed after the #defines, before the kernel file. */
    ClSource include(String file) {
        includes.append(resource(file)).append('\n');
        return this;
    }

    /** Enables double precision in the program (needed when a kernel computes in double without an F64 operand). */
    ClSource fp64() {
        fp64 = true;
        return this;
    }

    String text() {
        return (fp64 ? "#pragma OPENCL EXTENSION cl_khr_fp64 : enable\n#define HAS_FP64 1\n" : "")
                + resource("common.cl") + "\n" + defines + "\n" + includes + resource(file);
    }

    private static String resource(String name) {
        return FILES.computeIfAbsent(name, n -> {
            try (InputStream in = ClSource.class.getResourceAsStream(n)) {
                if (in == null) throw new IllegalStateException("missing OpenCL kernel resource " + n);
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }
}
