package io.jswift.backend.opencl;

import org.jocl.CL;
import org.jocl.cl_device_id;
import org.jocl.cl_platform_id;

import java.util.ArrayList;
import java.util.List;

import static org.jocl.CL.*;

/**
 * The OpenCL devices of this machine, probed once. JOCL loads libOpenCL.so.1 (the ICD loader) on first use;
 * a missing loader or an empty platform list becomes an unavailability reason, never an exception at class
 * loading, so the CPU-only build keeps working.
 */
final class ClRuntime {
    /** One OpenCL device with the platform it belongs to. */
    record DeviceRef(cl_platform_id platform, cl_device_id device, String name, String platformName) {}

    /** Either the devices found or why there are none. */
    record Probe(List<DeviceRef> devices, String reason) {}

    private static volatile Probe probe;

    private ClRuntime() {}

    static Probe probe() {
        Probe p = probe;
        if (p == null) {
            synchronized (ClRuntime.class) {
                if (probe == null) probe = doProbe();
                p = probe;
            }
        }
        return p;
    }

    private static Probe doProbe() {
        try {
            CL.setExceptionsEnabled(true);
            int[] count = new int[1];
            try {
                clGetPlatformIDs(0, null, count);
            } catch (org.jocl.CLException e) {
                // the ICD loader reports CL_PLATFORM_NOT_FOUND_KHR when no vendor driver is installed
                return new Probe(List.of(), "no OpenCL platform (install pocl-opencl-icd or a GPU driver)");
            }
            if (count[0] == 0) return new Probe(List.of(), "no OpenCL platform (install pocl-opencl-icd or a GPU driver)");
            cl_platform_id[] platforms = new cl_platform_id[count[0]];
            clGetPlatformIDs(platforms.length, platforms, null);
            List<DeviceRef> devices = new ArrayList<>();
            for (cl_platform_id platform : platforms) {
                String platformName = ClInfo.platformString(platform, CL_PLATFORM_NAME);
                int[] n = new int[1];
                try {
                    clGetDeviceIDs(platform, CL_DEVICE_TYPE_ALL, 0, null, n);
                } catch (org.jocl.CLException e) {
                    continue; // CL_DEVICE_NOT_FOUND: a platform without devices
                }
                cl_device_id[] ids = new cl_device_id[n[0]];
                clGetDeviceIDs(platform, CL_DEVICE_TYPE_ALL, ids.length, ids, null);
                for (cl_device_id id : ids) devices.add(new DeviceRef(platform, id, ClInfo.deviceString(id, CL_DEVICE_NAME), platformName));
            }
            if (devices.isEmpty()) return new Probe(List.of(), "OpenCL platform(s) found but no device");
            return new Probe(List.copyOf(devices), null);
        } catch (UnsatisfiedLinkError | NoClassDefFoundError e) {
            return new Probe(List.of(), "libOpenCL.so.1 not loadable (" + e.getMessage()
                    + "); install ocl-icd-libopencl1 and pocl-opencl-icd or a GPU driver");
        } catch (RuntimeException e) {
            return new Probe(List.of(), "OpenCL probe failed: " + e.getMessage());
        }
    }
}
