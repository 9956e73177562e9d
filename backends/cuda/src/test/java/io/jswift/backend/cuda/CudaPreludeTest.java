package io.jswift.backend.cuda;

import io.jswift.backend.gpu.Dialect;
import io.jswift.backend.gpu.ProgramSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The CUDA prelude defines the whole kernel dialect (DIALECT.md), and nvcc compiles a program written in it. */
class CudaPreludeTest {
    @TempDir
    Path dir;

    private static String prelude() {
        return CudaDriver.resource("prelude.cuh");
    }

    @Test
    void definesEveryRequiredName() {
        String p = prelude();
        for (String name : Dialect.REQUIRED) {
            boolean defined = Pattern.compile("(#define " + name + "\\b)|(typedef [\\w ]+ " + name + ";)").matcher(p).find();
            assertTrue(defined, "the CUDA prelude does not define " + name);
        }
        assertTrue(p.contains("#define SHARED_PTR"));
        assertTrue(!p.contains("#include"), "NVRTC compiles the prelude without CUDA's include directory");
    }

    /** Every dialect word in one kernel, behind the prelude and common.h, as the driver would assemble it. */
    @Test
    void nvccCompilesTheDialect() throws Exception {
        Path nvcc = PtxBuildTest.nvcc();
        assumeTrue(nvcc != null, "nvcc not installed");
        String common;
        try (InputStream in = Dialect.class.getResourceAsStream("kernels/common.h")) {
            common = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        String kernel = """
                DEVICE_FN float twice(float x) { return 2 * x; }
                KERNEL void BOUNDS(64, 1) every_word(GLOBAL float* out, idx_t outOffset, GLOBAL const f16_t* h, GLOBAL f16_t* h2,
                                                     GLOBAL i32* mn, GLOBAL const u16* b16, Meta meta) {
                    SHARED float tile[TILE];
                    SHARED_PTR float* t = tile;
                    idx_t i = GID(0);
                    int l = LID(0) + LOCAL_SIZE(1) + LID(2);
                    idx_t g = GROUP_ID(0) + NUM_GROUPS(1) + GROUP_ID(2);
                    u8 a = 1; u32 c = 3; i64 d = 4; u64 e = 5;
                    float x = LOAD_F16(h, i) + bf16_to_float(b16[i]) + AS_FLOAT(AS_U32(1.0f));
                    x = exp(x) + log(x) + sqrt(x) + rsqrt(x) + fabs(x) + fmax(x, 1.f) + fmin(x, 2.f) + pow(x, 2.f) + tanh(x)
                        + erf(x) + erfc(x) + rint(x) + sin(x) + cos(x) + floor(x) + ceil(x) + (isnan(x) || isinf(x) || !isfinite(x) ? INFINITY : NAN)
                        + FLT_MAX + (float) min(l, 3) + (float) max(d, (i64) g);
                #ifdef HAS_FP64
                    double y = exp((double) x) + rsqrt((double) x);
                    x += (float) y;
                #endif
                    t[l % TILE] = twice(x) + a + c + e;
                    BARRIER();
                    STORE_F16(h2, i, t[0]);
                    ATOMIC_MIN_I32(mn, (i32) l);
                    out[outOffset + i * meta.w[2]] = (float) float_to_bf16(x);
                }
                """;
        ProgramSource src = new ProgramSource("every_word.cl", List.of(new ProgramSource.Define("TILE", "64"),
                new ProgramSource.Define("HAS_FP64", "1")), common + "\n" + kernel);
        Path cu = dir.resolve("every_word.cu");
        Files.writeString(cu, src.text(prelude()));
        Process p = new ProcessBuilder(nvcc.toString(), "--ptx", "-arch=compute_80", "-o", dir.resolve("every_word.ptx").toString(), cu.toString())
                .redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), log);
        assertTrue(Files.readString(dir.resolve("every_word.ptx")).contains(".entry every_word("));
        assertNotEquals(PrebuiltPrograms.key(src.text(prelude())), PrebuiltPrograms.key(src.text(prelude()) + " "));
    }
}
