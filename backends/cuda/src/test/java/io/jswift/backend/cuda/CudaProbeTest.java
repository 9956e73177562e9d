package io.jswift.backend.cuda;

import io.jswift.tensor.spi.BackendProvider;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Each reason the CUDA backend gives when it cannot run, from the facts a probe would find. */
class CudaProbeTest {
    private static final PtxManifest PTX = manifest(13000);
    private static final CudaProbe.Gpu H100 = new CudaProbe.Gpu(0, "NVIDIA H100 80GB HBM3", 90, 80L << 30);
    private static final CudaProbe.Gpu T4 = new CudaProbe.Gpu(1, "Tesla T4", 75, 15L << 30);

    private static PtxManifest manifest(int minDriver) {
        Properties p = new Properties();
        p.setProperty("nvcc", "13.0");
        p.setProperty("ptx.isa", "9.0");
        p.setProperty("arch", "compute_80");
        p.setProperty("min.compute.capability", "80");
        p.setProperty("min.driver.version", Integer.toString(minDriver));
        p.setProperty("modules", "adamw flash_attention");
        return PtxManifest.parse(p);
    }

    private static String reason(CudaProbe.Facts f) {
        CudaProbe.Result r = CudaProbe.decide(f);
        assertFalse(r.available());
        assertTrue(r.usable().isEmpty());
        return r.reason();
    }

    @Test
    void noDriverLibrary() {
        String r = reason(new CudaProbe.Facts("libcuda.so.1: cannot open shared object file", null, 0, List.of(), PTX));
        assertEquals("libcuda.so.1 not loadable: no NVIDIA driver on this machine (libcuda.so.1: cannot open shared object file)", r);
    }

    @Test
    void noDevice() {
        assertTrue(reason(new CudaProbe.Facts(null, "CUDA_ERROR_NO_DEVICE", 13000, List.of(), PTX))
                .startsWith("cuInit failed: CUDA_ERROR_NO_DEVICE (no CUDA device visible"));
        assertEquals("no CUDA device (cuDeviceGetCount = 0)", reason(new CudaProbe.Facts(null, null, 13000, List.of(), PTX)));
    }

    @Test
    void builtWithoutNvcc() {
        assertTrue(reason(new CudaProbe.Facts(null, null, 13000, List.of(H100), null)).startsWith("built without nvcc: "));
    }

    @Test
    void driverTooOldForThePtx() {
        assertEquals("driver too old for the PTX: the driver supports CUDA 12.4, the kernels were built by nvcc 13.0 (PTX ISA 9.0)"
                        + " and need a driver for CUDA 13.0 or newer",
                reason(new CudaProbe.Facts(null, null, 12040, List.of(H100), PTX)));
    }

    @Test
    void onlyDevicesOfComputeCapability8AreServed() {
        assertTrue(reason(new CudaProbe.Facts(null, null, 13000, List.of(T4), PTX))
                .startsWith("no device of compute capability 8.0 or newer (the kernels are PTX for compute_80, bf16 tensor cores); found Tesla T4 (sm_75"));
        CudaProbe.Result r = CudaProbe.decide(new CudaProbe.Facts(null, null, 13010, List.of(T4, H100), PTX));
        assertTrue(r.available());
        assertNull(r.reason());
        assertEquals(List.of(H100), r.usable());
    }

    /** On a machine without the NVIDIA driver (this CI), the provider says so in one line and opening fails with it. */
    @Test
    void providerReportsTheMissingDriverHere() {
        assumeTrue(CudaRuntime.libcudaMissing() != null, "this machine has libcuda.so.1");
        BackendProvider.Availability a = new CudaBackendProvider().availability();
        assertFalse(a.available());
        assertTrue(a.reason().startsWith("libcuda.so.1 not loadable: no NVIDIA driver on this machine ("), a.reason());
        assertFalse(a.reason().contains("\n"));
    }
}
