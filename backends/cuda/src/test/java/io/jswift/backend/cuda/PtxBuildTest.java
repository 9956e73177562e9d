package io.jswift.backend.cuda;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The CUDA kernels compile with nvcc in every build that has nvcc (so the CUDA build cannot rot unseen: a kernel
 * that no longer compiles fails build-ptx.sh, and a missing module or entry point fails here), and a build
 * without nvcc ships no PTX, which the backend reports as "built without nvcc".
 */
class PtxBuildTest {
    /** The nvcc build-ptx.sh would use, or null. */
    static Path nvcc() {
        Stream<String> candidates = Stream.concat(
                Stream.of(System.getenv("CUDA_HOME") == null ? null : System.getenv("CUDA_HOME") + "/bin/nvcc", "/usr/local/cuda/bin/nvcc"),
                Stream.of(System.getenv("PATH").split(":")).map(d -> d + "/nvcc"));
        return candidates.filter(c -> c != null && Files.isExecutable(Path.of(c))).map(Path::of).findFirst().orElse(null);
    }

    @Test
    void ptxIsBuiltExactlyWhenNvccExists() {
        PtxManifest m = PtxManifest.load();
        if (nvcc() == null) {
            assertNull(m, "no nvcc here, yet the jar has PTX");
            return;
        }
        assertNotNull(m, "nvcc is at " + nvcc() + " but the build wrote no PTX (backends/cuda/build-ptx.sh)");
        assertEquals("compute_80", m.arch());
        assertEquals(80, m.minComputeCapability());
        assertTrue(m.minDriverVersion() >= 12000, "driver requirement " + m.minDriverVersion());
        assertEquals(List.of("adamw", "flash_attention"), m.modules());
    }

    @Test
    void everyEntryPointTheHostLaunchesIsInThePtx() {
        PtxManifest m = PtxManifest.load();
        if (m == null) return; // checked above: no nvcc, no PTX
        String flash = new String(m.ptx("flash_attention"), StandardCharsets.UTF_8);
        for (String dtype : List.of("bf16", "f16")) {
            for (int d : new int[]{64, 128}) {
                for (String k : List.of("flash_fwd_", "flash_delta_", "flash_bwd_")) {
                    assertTrue(flash.contains(".entry " + k + dtype + "_d" + d + "("), k + dtype + "_d" + d);
                }
            }
            assertTrue(flash.contains(".entry flash_dq_convert_" + dtype + "("));
        }
        // the shared-memory sizes the host reads with cuModuleGetGlobal, within an A100's 163 KiB per block
        for (String g : List.of("flash_smem_fwd_d64", "flash_smem_fwd_d128", "flash_smem_bwd_d64", "flash_smem_bwd_d128")) {
            int at = flash.indexOf(".u64 " + g + " = ");
            assertTrue(at > 0, g);
            long bytes = Long.parseLong(flash.substring(at + g.length() + 8, flash.indexOf(';', at)).trim());
            assertTrue(bytes > 48 * 1024 && bytes <= 163 * 1024, g + " = " + bytes);
        }
        assertTrue(flash.contains("wmma.mma.sync"), "the products run on tensor cores");
        String adamw = new String(m.ptx("adamw"), StandardCharsets.UTF_8);
        for (String g : List.of("f32", "bf16", "f16")) assertTrue(adamw.contains(".entry adamw_f32_grad_" + g + "("), g);
    }
}
