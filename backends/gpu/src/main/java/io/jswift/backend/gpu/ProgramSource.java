package io.jswift.backend.gpu;

import java.util.List;

/**
 * A program of the kernel dialect before a driver compiles it: its {@code #define}s (operand dtypes, tile
 * sizes, the op) and its body (the dialect's {@code common.h}, then shared device functions, then the kernel
 * file). The whole text is {@link #text(String) defines, prelude, body} — defines first so that a prelude may
 * test them (e.g. {@code HAS_FP64}); macros expand where used, so a define may name prelude types.
 *
 * @param name    the kernel file, e.g. {@code binary.cl}, for messages and prebuilt-binary lookup
 * @param defines in order; each becomes {@code #define NAME VALUE}
 * @param body    the dialect text after the prelude
 */
public record ProgramSource(String name, List<Define> defines, String body) {
    public record Define(String name, String value) {}

    public ProgramSource {
        defines = List.copyOf(defines);
    }

    /** The {@code #define} lines. */
    public String defineLines() {
        StringBuilder sb = new StringBuilder();
        for (Define d : defines) sb.append("#define ").append(d.name()).append(' ').append(d.value()).append('\n');
        return sb.toString();
    }

    /** The complete program text behind {@code prelude}. */
    public String text(String prelude) {
        return defineLines() + prelude + "\n" + body;
    }

    /** A key equal for equal programs (the compiled-program cache's). */
    public String key() {
        return name + '\u0000' + defineLines() + '\u0000' + body;
    }
}
