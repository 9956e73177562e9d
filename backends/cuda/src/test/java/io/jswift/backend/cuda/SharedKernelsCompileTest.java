package io.jswift.backend.cuda;

import io.jswift.backend.gpu.KernelSource;
import io.jswift.backend.gpu.ProgramSource;
import io.jswift.tensor.DType;
import io.jswift.tensor.quant.FourBitType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.StringJoiner;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Every kernel file of backends/gpu compiles with nvcc behind the CUDA prelude, for a representative program of
 * each (mixed dtypes, f64, integer paths, every kernel of a file): the shared kernels cannot rot for CUDA while
 * PoCL runs them. The defines mirror what the backend's op classes set.
 */
class SharedKernelsCompileTest {
    @TempDir
    Path dir;

    private static List<ProgramSource> programs() {
        List<ProgramSource> p = new ArrayList<>();
        p.add(KernelSource.of("binary.c").type("A", DType.BF16).type("B", DType.F32).type("OUT", DType.BF16).define("OP", "b_max").real("R", DType.F32).build());
        p.add(KernelSource.of("binary.c").type("A", DType.I64).type("OUT", DType.I64).define("SCALAR", 1).define("OP", "b_pow")
                .define("R", "i64").define("INTEGRAL", 1).build());
        p.add(KernelSource.of("unary.c").type("X", DType.F16).type("OUT", DType.F16).define("OP", "u_gelu").real("R", DType.F32).build());
        p.add(KernelSource.of("unary.c").type("X", DType.F64).type("OUT", DType.F64).define("OP", "u_sigmoid").real("R", DType.F64)
                .define("R_IS_DOUBLE", 1).build());
        p.add(KernelSource.of("copy.c").type("SRC", DType.F32).type("DST", DType.F16).build());
        p.add(KernelSource.of("fill.c").type("DST", DType.BF16).define("VALUE_T", "float").build());
        p.add(KernelSource.of("where.c").type("C", DType.BOOL).type("A", DType.F32).type("B", DType.I32).type("OUT", DType.F32).build());
        p.add(KernelSource.of("reduce.c").type("X", DType.F32).type("OUT", DType.F32).define("ACC", "float").define("IDENT", "0")
                .define("OP_SUM", 1).define("GROUP", 256).real("R", DType.F32).define("KAHAN", 1).build());
        p.add(KernelSource.of("reduce.c").type("X", DType.I32).type("OUT", DType.I32).define("ACC", "i64").define("IDENT", "I64_MIN")
                .define("OP_MAX", 1).define("GROUP", 256).real("R", DType.F64).define("INTEGRAL", 1).build());
        p.add(KernelSource.of("argmax.c").type("X", DType.BF16).define("CMP", "float").define("GROUP", 256).build());
        p.add(KernelSource.of("index.c").define("E_T", "u16").build());
        p.add(KernelSource.of("index_add.c").type("DST", DType.F32).type("SRC", DType.BF16).define("ACC", "float").build());
        p.add(KernelSource.of("gemm.c").type("A", DType.BF16).type("B", DType.BF16).type("C", DType.BF16).real("REAL", DType.F32)
                .define("IDX", "i32").define("TM", 64).define("TN", 64).define("TK", 16).define("WM", 4).define("WN", 4).build());
        p.add(KernelSource.of("gemm.c").type("A", DType.F32).type("B", DType.F16).type("C", DType.F32).real("REAL", DType.F32)
                .define("IDX", "i64").define("GEMV_COLS", 32).define("GEMV_SLICES", 8).build());
        p.add(KernelSource.of("norm.c").include("rows.c").real("REAL", DType.F32).define("GROUP", 128).type("X", DType.BF16)
                .type("W", DType.F32).type("B", DType.F32).type("Y", DType.F32).type("M", DType.F32).type("S", DType.F32)
                .define("X_ROUND(v)", "bf16_to_float(float_to_bf16((float) (v)))").build());
        p.add(KernelSource.of("norm.c").include("rows.c").real("REAL", DType.F32).define("GROUP", 128).type("DY", DType.F32)
                .type("X", DType.F16).type("W", DType.F32).type("M", DType.F32).type("S", DType.F32).type("DX", DType.F16).type("O", DType.F32).build());
        p.add(KernelSource.of("softmax.c").include("rows.c").real("REAL", DType.F32).define("GROUP", 64).type("X", DType.F32).type("Y", DType.F32).build());
        p.add(KernelSource.of("softmax.c").include("rows.c").real("REAL", DType.F32).define("GROUP", 64).type("DY", DType.F32)
                .type("Y", DType.F32).type("DX", DType.F32).build());
        p.add(KernelSource.of("cross_entropy.c").include("rows.c").real("REAL", DType.F32).define("GROUP", 256).type("X", DType.BF16)
                .type("T", DType.I64).type("S", DType.F32).build());
        p.add(KernelSource.of("cross_entropy.c").real("REAL", DType.F32).type("DL", DType.F32).type("X", DType.BF16).type("T", DType.I32)
                .type("L", DType.F32).type("DX", DType.BF16).build());
        p.add(KernelSource.of("rope.c").real("REAL", DType.F32).type("X", DType.BF16).type("C", DType.F32).type("S", DType.F32).build());
        p.add(KernelSource.of("silu_mul.c").real("REAL", DType.F32).type("G", DType.BF16).type("U", DType.BF16).type("Y", DType.BF16).build());
        p.add(KernelSource.of("silu_mul.c").real("REAL", DType.F64).type("DY", DType.F64).type("G", DType.F64).type("U", DType.F64)
                .type("DG", DType.F64).type("DU", DType.F64).build());
        p.add(KernelSource.of("adamw.c").real("REAL", DType.F32).type("P", DType.F32).type("G", DType.BF16).type("M", DType.F32).type("V", DType.F32).build());
        p.add(attention("attention_forward.c").type("Q", DType.BF16).type("K", DType.BF16).type("V", DType.BF16).type("O", DType.BF16)
                .type("LSE", DType.F32).define("BQ", 32).define("BK", 32).build());
        p.add(attention("attention_backward.c").type("Q", DType.F32).type("K", DType.F32).type("V", DType.F32).type("O", DType.F32)
                .type("G", DType.F32).type("L", DType.F32).type("DQ", DType.F32).type("DK", DType.F32).type("DV", DType.F32)
                .define("BQ_Q", 32).define("BK_Q", 16).define("BQ_K", 16).define("BK_K", 32).build());
        // f64 compute (tanh of the soft-cap on double)
        p.add(attention("attention_backward.c", DType.F64).type("Q", DType.F64).type("K", DType.F64).type("V", DType.F64).type("O", DType.F64)
                .type("G", DType.F16).type("L", DType.F64).type("DQ", DType.F64).type("DK", DType.F64).type("DV", DType.F64)
                .define("BQ_Q", 16).define("BK_Q", 16).define("BQ_K", 16).define("BK_K", 16).build());
        // DeepSeek's latent attention: values of another head dim (192 / 128) than queries and keys
        p.add(attention("attention_forward.c", DType.F32, 192, 128).type("Q", DType.BF16).type("K", DType.BF16).type("V", DType.BF16)
                .type("O", DType.BF16).type("LSE", DType.F32).define("BQ", 16).define("BK", 16).build());
        p.add(attention("attention_backward.c", DType.F32, 192, 128).type("Q", DType.F32).type("K", DType.F32).type("V", DType.F32)
                .type("O", DType.F32).type("G", DType.F32).type("L", DType.F32).type("DQ", DType.F32).type("DK", DType.F32).type("DV", DType.F32)
                .define("BQ_Q", 8).define("BK_Q", 8).define("BQ_K", 8).define("BK_K", 8).build());
        p.add(KernelSource.of("attention_paged.c").include("attention.h").real("REAL", DType.F32).type("Q", DType.BF16).type("K", DType.BF16)
                .type("V", DType.BF16).type("O", DType.BF16).define("D", 128).define("DV", 128).define("WG", 128).define("DPTV", 1).build());
        p.add(KernelSource.of("attention_paged.c").include("attention.h").real("REAL", DType.F64).type("Q", DType.F64).type("K", DType.F16)
                .type("V", DType.F32).type("O", DType.F64).define("D", 80).define("DV", 72).define("WG", 64).define("DPTV", 2).build());
        String nf4 = codes(FourBitType.NF4);
        p.add(KernelSource.of("quant4bit.c").define("CODES", nf4).type("OUT", DType.BF16).build());
        p.add(KernelSource.of("quant4bit.c").define("CODES", codes(FourBitType.FP4)).define("NESTED", 1).type("X", DType.F16)
                .type("Y", DType.F32).define("GROUP", 128).define("ROWS", 4).define("W_BF16", 1).build());
        return p;
    }

    /** A 4-bit code table as Quant4bit writes it: a C initializer of exact hexadecimal float literals. */
    private static String codes(FourBitType type) {
        StringJoiner j = new StringJoiner(", ", "{", "}");
        for (float v : type.table()) j.add(Float.toHexString(v) + "f");
        return j.toString();
    }

    private static KernelSource attention(String file) {
        return attention(file, DType.F32);
    }

    private static KernelSource attention(String file, DType real) {
        return attention(file, real, 64, 64);
    }

    /** The defines Attention sets for head dims {@code d} (q, k) and {@code dv} (v). */
    private static KernelSource attention(String file, DType real, int d, int dv) {
        return KernelSource.of(file).include("attention.h").real("REAL", real).define("D", d).define("LD", d + 1).define("TPR", 8)
                .define("DPT", (d + 7) / 8).define("DV", dv).define("LDV", dv + 1).define("DPTV", (dv + 7) / 8);
    }

    @Test
    void everySharedKernelFileCompilesWithNvcc() throws Exception {
        Path nvcc = PtxBuildTest.nvcc();
        assumeTrue(nvcc != null, "nvcc not installed");
        String prelude = CudaDriver.resource("prelude.cuh");
        List<ProgramSource> programs = programs();
        for (int i = 0; i < programs.size(); i++) {
            ProgramSource src = programs.get(i);
            Path cu = dir.resolve("p" + i + ".cu");
            Files.writeString(cu, src.text(prelude));
            Process proc = new ProcessBuilder(nvcc.toString(), "--ptx", "-arch=compute_80", "-o", dir.resolve("p" + i + ".ptx").toString(), cu.toString())
                    .redirectErrorStream(true).start();
            String log = new String(proc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            proc.waitFor(120, TimeUnit.SECONDS);
            assertEquals(0, proc.exitValue(), src.name() + " " + src.defines() + ":\n" + log);
        }
    }
}
