package io.jswift.backend.cuda;

import jcuda.driver.CUdevice;
import jcuda.driver.CUresult;
import jcuda.driver.JCudaDriver;

import java.lang.foreign.Arena;
import java.lang.foreign.SymbolLookup;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static jcuda.driver.CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR;
import static jcuda.driver.CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR;
import static jcuda.driver.JCudaDriver.cuDeviceGet;
import static jcuda.driver.JCudaDriver.cuDeviceGetAttribute;
import static jcuda.driver.JCudaDriver.cuDeviceGetCount;
import static jcuda.driver.JCudaDriver.cuDeviceGetName;
import static jcuda.driver.JCudaDriver.cuDeviceTotalMem;
import static jcuda.driver.JCudaDriver.cuDriverGetVersion;
import static jcuda.driver.JCudaDriver.cuInit;

/**
 * The CUDA devices of this machine, probed once. libcuda.so.1 is looked up with java.lang.foreign first, so a
 * machine without the NVIDIA driver gets a one-line reason before JCuda extracts and loads its JNI library (which
 * links against libcuda.so.1); every other failure becomes a reason too, never an exception at class loading.
 * JCuda's exceptions stay off: each call's CUresult is checked where it is made ({@link #check}).
 */
final class CudaRuntime {
    private static volatile CudaProbe.Result probe;

    private CudaRuntime() {}

    static CudaProbe.Result probe() {
        CudaProbe.Result p = probe;
        if (p == null) {
            synchronized (CudaRuntime.class) {
                if (probe == null) probe = CudaProbe.decide(facts());
                p = probe;
            }
        }
        return p;
    }

    /** Throws with the call's name and CUDA's error name unless {@code result} is CUDA_SUCCESS. */
    static void check(int result, String call) {
        if (result != CUresult.CUDA_SUCCESS) throw new IllegalStateException(call + " failed: " + CUresult.stringFor(result));
    }

    private static CudaProbe.Facts facts() {
        PtxManifest ptx = PtxManifest.load();
        String missing = libcudaMissing();
        if (missing != null) return new CudaProbe.Facts(missing, null, 0, List.of(), ptx);
        try {
            JCudaDriver.setExceptionsEnabled(false);
            int[] version = new int[1];
            int init = cuInit(0);
            cuDriverGetVersion(version);
            if (init != CUresult.CUDA_SUCCESS) return new CudaProbe.Facts(null, CUresult.stringFor(init), version[0], List.of(), ptx);
            int[] count = new int[1];
            check(cuDeviceGetCount(count), "cuDeviceGetCount");
            List<CudaProbe.Gpu> gpus = new ArrayList<>();
            for (int i = 0; i < count[0]; i++) gpus.add(gpu(i));
            return new CudaProbe.Facts(null, null, version[0], gpus, ptx);
        } catch (UnsatisfiedLinkError | NoClassDefFoundError e) {
            return new CudaProbe.Facts("JCuda's driver library did not load: " + firstLine(e.getMessage()), null, 0, List.of(), ptx);
        } catch (RuntimeException e) {
            return new CudaProbe.Facts(null, e.getMessage(), 0, List.of(), ptx);
        }
    }

    static CudaProbe.Gpu gpu(int ordinal) {
        CUdevice dev = new CUdevice();
        check(cuDeviceGet(dev, ordinal), "cuDeviceGet");
        byte[] name = new byte[256];
        check(cuDeviceGetName(name, name.length, dev), "cuDeviceGetName");
        int[] major = new int[1], minor = new int[1];
        check(cuDeviceGetAttribute(major, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, dev), "cuDeviceGetAttribute");
        check(cuDeviceGetAttribute(minor, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, dev), "cuDeviceGetAttribute");
        long[] mem = new long[1];
        check(cuDeviceTotalMem(mem, dev), "cuDeviceTotalMem");
        return new CudaProbe.Gpu(ordinal, cString(name), major[0] * 10 + minor[0], mem[0]);
    }

    /** Why libcuda.so.1 cannot be opened (dlopen's message), or null when it can. */
    static String libcudaMissing() {
        try (Arena arena = Arena.ofConfined()) {
            SymbolLookup.libraryLookup("libcuda.so.1", arena);
            return null;
        } catch (IllegalArgumentException e) {
            return firstLine(e.getMessage());
        }
    }

    private static String firstLine(String s) {
        if (s == null) return "no message";
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    private static String cString(byte[] buf) {
        int n = 0;
        while (n < buf.length && buf[n] != 0) n++;
        return new String(buf, 0, n, StandardCharsets.UTF_8).trim();
    }
}
