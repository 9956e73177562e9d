package io.jswift.backend.opencl;

import io.jswift.tensor.Device;
import org.jocl.CLException;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_command_queue;
import org.jocl.cl_context;
import org.jocl.cl_context_properties;
import org.jocl.cl_device_id;
import org.jocl.cl_kernel;
import org.jocl.cl_mem;
import org.jocl.cl_program;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import static org.jocl.CL.*;

/**
 * One OpenCL device opened for jswift: its context, an in-order command queue, the program cache (each
 * program source is built once per device; a failed build throws with the compiler's log) and buffer
 * allocation. Kernel launches are serialized on this object because a cl_kernel's arguments are shared state.
 */
final class ClContext {
    private final Device device;
    private final cl_device_id id;
    private final cl_context context;
    private final cl_command_queue queue;
    private final String name;
    private final boolean fp64;
    private final long maxWorkGroupSize;
    private final long localMemBytes;
    private final long globalMemBytes;
    private final Map<String, cl_program> programs = new ConcurrentHashMap<>();
    private final Map<String, cl_kernel> kernels = new ConcurrentHashMap<>();
    private final AtomicLong liveBytes = new AtomicLong();

    ClContext(int index, ClRuntime.DeviceRef ref) {
        this.device = new Device("opencl", index);
        this.id = ref.device();
        this.name = ref.name();
        cl_context_properties props = new cl_context_properties();
        props.addProperty(CL_CONTEXT_PLATFORM, ref.platform());
        this.context = clCreateContext(props, 1, new cl_device_id[]{id}, null, null, null);
        this.queue = clCreateCommandQueue(context, id, 0, null);
        String extensions = ClInfo.deviceString(id, CL_DEVICE_EXTENSIONS);
        this.fp64 = extensions.contains("cl_khr_fp64");
        this.maxWorkGroupSize = ClInfo.deviceSize(id, CL_DEVICE_MAX_WORK_GROUP_SIZE);
        this.localMemBytes = ClInfo.deviceLong(id, CL_DEVICE_LOCAL_MEM_SIZE);
        this.globalMemBytes = ClInfo.deviceLong(id, CL_DEVICE_GLOBAL_MEM_SIZE);
    }

    Device device() { return device; }

    String name() { return name; }

    boolean supportsFp64() { return fp64; }

    long maxWorkGroupSize() { return maxWorkGroupSize; }

    long localMemBytes() { return localMemBytes; }

    long globalMemBytes() { return globalMemBytes; }

    cl_command_queue queue() { return queue; }

    cl_context clContext() { return context; }

    long liveBytes() { return liveBytes.get(); }

    void released(long bytes) { liveBytes.addAndGet(-bytes); }

    // ------------------------------------------------------------------ memory

    /** A zero-filled buffer of {@code bytes} (at least one word, since OpenCL refuses empty buffers). */
    ClStorage allocate(long bytes) {
        long size = Math.max(bytes, 8);
        cl_mem mem;
        try {
            mem = clCreateBuffer(context, CL_MEM_READ_WRITE, size, null, null);
            zero(mem, size);
        } catch (CLException e) {
            if (e.getStatus() != CL_MEM_OBJECT_ALLOCATION_FAILURE && e.getStatus() != CL_OUT_OF_RESOURCES
                    && e.getStatus() != CL_OUT_OF_HOST_MEMORY) throw e;
            // device buffers are freed by the garbage collector: collect unreachable tensors and retry once
            System.gc();
            try { Thread.sleep(50); } catch (InterruptedException ie) { Thread.currentThread().interrupt(); }
            try {
                mem = clCreateBuffer(context, CL_MEM_READ_WRITE, size, null, null);
                zero(mem, size);
            } catch (CLException again) {
                throw new IllegalStateException("out of memory on " + device + " (" + name + "): cannot allocate "
                        + bytes + " bytes with " + liveBytes.get() + " bytes in use of " + globalMemBytes, again);
            }
        }
        liveBytes.addAndGet(size);
        return new ClStorage(this, mem, bytes);
    }

    private void zero(cl_mem mem, long size) {
        synchronized (this) {
            clEnqueueFillBuffer(queue, mem, Pointer.to(new byte[]{0}), 1, 0, size, 0, null, null);
        }
    }

    /** A read-only buffer holding {@code data} (kernel metadata such as shapes and strides). */
    cl_mem constants(long[] data) {
        return clCreateBuffer(context, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR,
                (long) Math.max(1, data.length) * Sizeof.cl_long, Pointer.to(data.length == 0 ? new long[1] : data), null);
    }

    // ------------------------------------------------------------------ programs and kernels

    /** The kernel {@code kernelName} of {@code source}, building the program on first use. */
    cl_kernel kernel(String source, String kernelName) {
        String key = kernelName + '\u0000' + source;
        cl_kernel k = kernels.get(key);
        if (k != null) return k;
        synchronized (this) {
            k = kernels.get(key);
            if (k != null) return k;
            cl_program program = programs.computeIfAbsent(source, this::build);
            k = clCreateKernel(program, kernelName, null);
            kernels.put(key, k);
            return k;
        }
    }

    private cl_program build(String source) {
        cl_program program = clCreateProgramWithSource(context, 1, new String[]{source}, null, null);
        try {
            clBuildProgram(program, 1, new cl_device_id[]{id}, "-cl-std=CL1.2", null, null);
        } catch (CLException e) {
            throw new IllegalStateException("OpenCL program failed to build on " + device + " (" + name + "):\n"
                    + buildLog(program) + "\n--- source ---\n" + numbered(source), e);
        }
        return program;
    }

    private String buildLog(cl_program program) {
        long[] size = new long[1];
        clGetProgramBuildInfo(program, id, CL_PROGRAM_BUILD_LOG, 0, null, size);
        byte[] buf = new byte[(int) size[0]];
        clGetProgramBuildInfo(program, id, CL_PROGRAM_BUILD_LOG, buf.length, Pointer.to(buf), null);
        return new String(buf, java.nio.charset.StandardCharsets.UTF_8).trim();
    }

    private static String numbered(String source) {
        StringBuilder sb = new StringBuilder();
        String[] lines = source.split("\n", -1);
        for (int i = 0; i < lines.length; i++) sb.append(String.format("%4d  %s%n", i + 1, lines[i]));
        return sb.toString();
    }

    /** Blocks until every command queued so far has finished. */
    void finish() {
        clFinish(queue);
    }
}
