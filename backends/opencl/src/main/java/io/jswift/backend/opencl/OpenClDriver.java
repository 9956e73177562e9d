package io.jswift.backend.opencl;

import io.jswift.backend.gpu.DeviceBuffer;
import io.jswift.backend.gpu.DeviceInfo;
import io.jswift.backend.gpu.DeviceOutOfMemoryException;
import io.jswift.backend.gpu.Dim3;
import io.jswift.backend.gpu.Driver;
import io.jswift.backend.gpu.Event;
import io.jswift.backend.gpu.KernelArg;
import io.jswift.backend.gpu.Program;
import io.jswift.backend.gpu.ProgramSource;
import io.jswift.tensor.Device;
import org.jocl.CLException;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_command_queue;
import org.jocl.cl_context;
import org.jocl.cl_context_properties;
import org.jocl.cl_device_id;
import org.jocl.cl_event;
import org.jocl.cl_kernel;
import org.jocl.cl_mem;
import org.jocl.cl_program;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import static org.jocl.CL.*;

/**
 * The {@link Driver} of one OpenCL device: a context, an in-order command queue with profiling (for events),
 * programs built by clBuildProgram behind {@code prelude.h}. Launches are serialized on this object because a
 * cl_kernel's arguments are shared state; host transfers run in chunks below 2 GiB, the most a ByteBuffer (JOCL's
 * Pointer) can address.
 */
final class OpenClDriver implements Driver {
    private static final long CHUNK = 1L << 30;
    private static final String PRELUDE = resource("prelude.h");

    private final cl_device_id id;
    private final cl_context context;
    private final cl_command_queue queue;
    private final DeviceInfo info;
    private final Map<cl_program, Map<String, cl_kernel>> kernels = new ConcurrentHashMap<>();

    private record Buffer(cl_mem mem, long byteSize) implements DeviceBuffer {}

    private record ClProgram(String name, cl_program program) implements Program {}

    private record Marker(cl_event event) implements Event {}

    OpenClDriver(int index, ClRuntime.DeviceRef ref) {
        this.id = ref.device();
        cl_context_properties props = new cl_context_properties();
        props.addProperty(CL_CONTEXT_PLATFORM, ref.platform());
        this.context = clCreateContext(props, 1, new cl_device_id[]{id}, null, null, null);
        this.queue = clCreateCommandQueue(context, id, CL_QUEUE_PROFILING_ENABLE, null);
        String extensions = ClInfo.deviceString(id, CL_DEVICE_EXTENSIONS);
        this.info = new DeviceInfo(new Device("opencl", index), ClInfo.deviceString(id, CL_DEVICE_VERSION) + " " + ref.platformName(),
                ref.name(), ClInfo.deviceLong(id, CL_DEVICE_GLOBAL_MEM_SIZE), ClInfo.deviceLong(id, CL_DEVICE_LOCAL_MEM_SIZE),
                (int) Math.min(Integer.MAX_VALUE, ClInfo.deviceSize(id, CL_DEVICE_MAX_WORK_GROUP_SIZE)), 1,
                extensions.contains("cl_khr_fp64"));
    }

    @Override
    public DeviceInfo info() { return info; }

    @Override
    public String prelude() { return PRELUDE; }

    // ------------------------------------------------------------------ memory

    @Override
    public DeviceBuffer allocate(long bytes) {
        try {
            return new Buffer(clCreateBuffer(context, CL_MEM_READ_WRITE, bytes, null, null), bytes);
        } catch (CLException e) {
            if (e.getStatus() == CL_MEM_OBJECT_ALLOCATION_FAILURE || e.getStatus() == CL_OUT_OF_RESOURCES
                    || e.getStatus() == CL_OUT_OF_HOST_MEMORY || e.getStatus() == CL_INVALID_BUFFER_SIZE) {
                throw new DeviceOutOfMemoryException(info + ": cannot allocate " + bytes + " bytes", e);
            }
            throw e;
        }
    }

    @Override
    public void free(DeviceBuffer buffer) {
        clReleaseMemObject(mem(buffer));
    }

    @Override
    public void copyFromHost(MemorySegment src, DeviceBuffer dst, long dstOffset) {
        long bytes = src.byteSize();
        for (long at = 0; at < bytes; at += CHUNK) {
            long len = Math.min(CHUNK, bytes - at);
            synchronized (this) {
                clEnqueueWriteBuffer(queue, mem(dst), CL_TRUE, dstOffset + at, len, Pointer.to(src.asSlice(at, len).asByteBuffer()), 0, null, null);
            }
        }
    }

    @Override
    public void copyToHost(DeviceBuffer src, long srcOffset, MemorySegment dst) {
        long bytes = dst.byteSize();
        for (long at = 0; at < bytes; at += CHUNK) {
            long len = Math.min(CHUNK, bytes - at);
            synchronized (this) {
                clEnqueueReadBuffer(queue, mem(src), CL_TRUE, srcOffset + at, len, Pointer.to(dst.asSlice(at, len).asByteBuffer()), 0, null, null);
            }
        }
    }

    @Override
    public void copy(DeviceBuffer src, long srcOffset, DeviceBuffer dst, long dstOffset, long bytes) {
        if (bytes == 0) return;
        synchronized (this) {
            clEnqueueCopyBuffer(queue, mem(src), mem(dst), srcOffset, dstOffset, bytes, 0, null, null);
        }
    }

    @Override
    public void fill(DeviceBuffer dst, long offset, long bytes, byte value) {
        if (bytes == 0) return;
        synchronized (this) {
            clEnqueueFillBuffer(queue, mem(dst), Pointer.to(new byte[]{value}), 1, offset, bytes, 0, null, null);
        }
    }

    private static cl_mem mem(DeviceBuffer b) {
        return ((Buffer) b).mem();
    }

    // ------------------------------------------------------------------ programs

    @Override
    public Program compile(ProgramSource source) {
        String text = source.text(PRELUDE);
        cl_program program = clCreateProgramWithSource(context, 1, new String[]{text}, null, null);
        try {
            clBuildProgram(program, 1, new cl_device_id[]{id}, "-cl-std=CL1.2", null, null);
        } catch (CLException e) {
            throw new IllegalStateException("OpenCL program " + source.name() + " failed to build on " + info + ":\n"
                    + buildLog(program) + "\n--- source ---\n" + numbered(text), e);
        }
        return new ClProgram(source.name(), program);
    }

    @Override
    public void launch(Program program, String kernel, Dim3 grid, Dim3 block, KernelArg... args) {
        if (grid.isEmpty()) return;
        ClProgram p = (ClProgram) program;
        cl_kernel k = kernels.computeIfAbsent(p.program(), x -> new ConcurrentHashMap<>())
                .computeIfAbsent(kernel, name -> clCreateKernel(p.program(), name, null));
        long[] local = {block.x(), block.y(), block.z()};
        long[] global = {(long) grid.x() * block.x(), (long) grid.y() * block.y(), (long) grid.z() * block.z()};
        synchronized (this) {
            for (int i = 0; i < args.length; i++) setArg(k, i, args[i]);
            clEnqueueNDRangeKernel(queue, k, 3, null, global, local, 0, null, null);
        }
    }

    private static void setArg(cl_kernel k, int i, KernelArg a) {
        switch (a) {
            case KernelArg.Buf b -> clSetKernelArg(k, i, Sizeof.cl_mem, Pointer.to(mem(b.buffer())));
            case KernelArg.I32 v -> clSetKernelArg(k, i, Sizeof.cl_int, Pointer.to(new int[]{v.value()}));
            case KernelArg.I64 v -> clSetKernelArg(k, i, Sizeof.cl_long, Pointer.to(new long[]{v.value()}));
            case KernelArg.F32 v -> clSetKernelArg(k, i, Sizeof.cl_float, Pointer.to(new float[]{v.value()}));
            case KernelArg.F64 v -> clSetKernelArg(k, i, Sizeof.cl_double, Pointer.to(new double[]{v.value()}));
            case KernelArg.Meta m -> clSetKernelArg(k, i, (long) m.words().length * Sizeof.cl_long, Pointer.to(m.words()));
        }
    }

    // ------------------------------------------------------------------ timing and completion

    @Override
    public Event record() {
        cl_event e = new cl_event();
        synchronized (this) {
            clEnqueueMarkerWithWaitList(queue, 0, null, e);
        }
        return new Marker(e);
    }

    @Override
    public double elapsedMillis(Event start, Event end) {
        cl_event a = ((Marker) start).event(), b = ((Marker) end).event();
        clWaitForEvents(1, new cl_event[]{b});
        return (profile(b) - profile(a)) / 1e6;
    }

    private static long profile(cl_event e) {
        long[] t = new long[1];
        clGetEventProfilingInfo(e, CL_PROFILING_COMMAND_END, Sizeof.cl_ulong, Pointer.to(t), null);
        return t[0];
    }

    @Override
    public void synchronize() {
        clFinish(queue);
    }

    @Override
    public void close() {
        clFinish(queue);
        for (Map<String, cl_kernel> ks : kernels.values()) for (cl_kernel k : ks.values()) clReleaseKernel(k);
        for (cl_program p : kernels.keySet()) clReleaseProgram(p);
        clReleaseCommandQueue(queue);
        clReleaseContext(context);
    }

    // ------------------------------------------------------------------ helpers

    private String buildLog(cl_program program) {
        long[] size = new long[1];
        clGetProgramBuildInfo(program, id, CL_PROGRAM_BUILD_LOG, 0, null, size);
        byte[] buf = new byte[(int) size[0]];
        clGetProgramBuildInfo(program, id, CL_PROGRAM_BUILD_LOG, buf.length, Pointer.to(buf), null);
        return new String(buf, StandardCharsets.UTF_8).trim();
    }

    private static String numbered(String source) {
        StringBuilder sb = new StringBuilder();
        String[] lines = source.split("\n", -1);
        for (int i = 0; i < lines.length; i++) sb.append(String.format("%4d  %s%n", i + 1, lines[i]));
        return sb.toString();
    }

    private static String resource(String name) {
        try (InputStream in = OpenClDriver.class.getResourceAsStream(name)) {
            if (in == null) throw new IllegalStateException("missing OpenCL resource " + name);
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
