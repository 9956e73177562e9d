package io.jswift.backend.cuda;

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
import jcuda.Pointer;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUevent;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;
import jcuda.driver.CUresult;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.ref.Cleaner;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import static io.jswift.backend.cuda.CudaRuntime.check;
import static jcuda.driver.CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK;
import static jcuda.driver.CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN;
import static jcuda.driver.CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK;
import static jcuda.driver.CUfunction_attribute.CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES;
import static jcuda.driver.JCudaDriver.cuCtxSetCurrent;
import static jcuda.driver.JCudaDriver.cuDeviceGet;
import static jcuda.driver.JCudaDriver.cuDeviceGetAttribute;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRelease;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRetain;
import static jcuda.driver.JCudaDriver.cuEventCreate;
import static jcuda.driver.JCudaDriver.cuEventDestroy;
import static jcuda.driver.JCudaDriver.cuEventElapsedTime;
import static jcuda.driver.JCudaDriver.cuEventRecord;
import static jcuda.driver.JCudaDriver.cuEventSynchronize;
import static jcuda.driver.JCudaDriver.cuFuncSetAttribute;
import static jcuda.driver.JCudaDriver.cuLaunchKernel;
import static jcuda.driver.JCudaDriver.cuMemAlloc;
import static jcuda.driver.JCudaDriver.cuMemFree;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoDAsync;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoH;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoD;
import static jcuda.driver.JCudaDriver.cuMemsetD8Async;
import static jcuda.driver.JCudaDriver.cuModuleGetFunction;
import static jcuda.driver.JCudaDriver.cuModuleGetGlobal;
import static jcuda.driver.JCudaDriver.cuModuleLoadData;
import static jcuda.driver.JCudaDriver.cuModuleUnload;
import static jcuda.driver.JCudaDriver.cuStreamCreate;
import static jcuda.driver.JCudaDriver.cuStreamDestroy;
import static jcuda.driver.JCudaDriver.cuStreamSynchronize;

/**
 * The {@link Driver} of backends/gpu over CUDA's driver API (JCuda): the device's primary context, one stream
 * that every launch, device copy and fill is queued on, programs as CUDA modules. A portable program loads the
 * PTX nvcc built for it ({@code ptx/programs/<hash>.ptx}, see build-ptx.sh) and is compiled by NVRTC when the
 * build did not prebuild it; the CUDA-only kernels (flash attention, AdamW) are the jar's own modules
 * ({@link #module}).
 *
 * <p>Ordering: the stream is a blocking stream, so the synchronous host copies (cuMemcpyHtoD / DtoH, which run on
 * the legacy default stream) wait for the work queued before them and the work queued after waits for them. The
 * driver API's context is per thread: every entry point makes the context current on the calling thread first.
 */
final class CudaDriver implements Driver {
    /** The context current on each thread, so that switching costs one call only when it changes. */
    private static final ThreadLocal<CUcontext> CURRENT = new ThreadLocal<>();
    private static final Cleaner CLEANER = Cleaner.create();
    /** Host copies of non-native segments go through a native bounce buffer of this size. */
    private static final long BOUNCE = 64L << 20;

    /** A device allocation. */
    record Buffer(DevicePointers.Ptr ptr, long byteSize) implements DeviceBuffer {
        long address() { return ptr.address(); }
    }

    /** A loaded module and its kernels, looked up once each. */
    record Module(String name, CUmodule module, Map<String, CUfunction> functions) implements Program {}

    private record CudaEvent(CUevent event) implements Event {}

    private final DeviceInfo info;
    private final CUdevice device = new CUdevice();
    private final CUcontext context = new CUcontext();
    private final DevicePointers.Stream stream = new DevicePointers.Stream();
    private final PtxManifest ptx;
    private final String nvrtcArch;
    private final String prelude;
    private final PtxCache ptxCache = PtxCache.fromEnvironment();
    private final Map<String, Module> jarModules = new ConcurrentHashMap<>();
    private final List<Module> loaded = new CopyOnWriteArrayList<>();
    private volatile Cublas cublas;

    CudaDriver(int index, CudaProbe.Gpu gpu, int driverVersion, PtxManifest ptx) {
        this.ptx = ptx;
        check(cuDeviceGet(device, gpu.ordinal()), "cuDeviceGet");
        check(cuDevicePrimaryCtxRetain(context, device), "cuDevicePrimaryCtxRetain");
        bind();
        check(cuStreamCreate(stream, 0), "cuStreamCreate");
        this.nvrtcArch = "compute_" + gpu.computeCapability();
        this.prelude = resource("prelude.cuh");
        this.info = new DeviceInfo(new Device("cuda", index), PtxManifest.cudaVersion(driverVersion) + " (driver API)",
                gpu.name(), gpu.memoryBytes(), attribute(CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK),
                attribute(CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK), 32, true);
    }

    @Override
    public DeviceInfo info() { return info; }

    @Override
    public String prelude() { return prelude; }

    /** Shared memory one block may opt in to (above the static 48 KiB): 227 KiB on H100, 163 KiB on A100. */
    int sharedMemOptIn() { return attribute(CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN); }

    /** The stream's address, for libraries that queue on it (cuBLAS). */
    long streamAddress() { return stream.address(); }

    /** cuBLAS on this device's stream, created on first use; throws with the reason when libcublas is absent. */
    Cublas cublas() {
        Cublas c = cublas;
        if (c == null) {
            synchronized (this) {
                bind();
                if (cublas == null) cublas = new Cublas(stream.address());
                c = cublas;
            }
        }
        bind();
        return c;
    }

    // ------------------------------------------------------------------ memory

    @Override
    public DeviceBuffer allocate(long bytes) {
        if (bytes <= 0) throw new IllegalArgumentException("allocation of " + bytes + " bytes");
        bind();
        DevicePointers.Ptr p = new DevicePointers.Ptr();
        int r = cuMemAlloc(p, bytes);
        if (r == CUresult.CUDA_ERROR_OUT_OF_MEMORY) {
            throw new DeviceOutOfMemoryException(info.device() + ": cuMemAlloc of " + bytes + " bytes: out of device memory", null);
        }
        check(r, info.device() + ": cuMemAlloc of " + bytes + " bytes");
        return new Buffer(p, bytes);
    }

    @Override
    public void free(DeviceBuffer buffer) {
        bind();
        check(cuMemFree(buf(buffer).ptr()), "cuMemFree");
    }

    @Override
    public void copyFromHost(MemorySegment src, DeviceBuffer dst, long dstOffset) {
        bind();
        CUdeviceptr base = buf(dst).ptr();
        bounds(dst, dstOffset, src.byteSize());
        if (src.isNative()) {
            for (long off = 0; off < src.byteSize(); off += Integer.MAX_VALUE) {
                long n = Math.min(Integer.MAX_VALUE, src.byteSize() - off);
                check(cuMemcpyHtoD(base.withByteOffset(dstOffset + off), Pointer.to(src.asSlice(off, n).asByteBuffer()), n), "cuMemcpyHtoD");
            }
            return;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment bounce = arena.allocate(Math.min(BOUNCE, src.byteSize()), 64);
            for (long off = 0; off < src.byteSize(); off += bounce.byteSize()) {
                long n = Math.min(bounce.byteSize(), src.byteSize() - off);
                bounce.copyFrom(src.asSlice(off, n));
                check(cuMemcpyHtoD(base.withByteOffset(dstOffset + off), Pointer.to(bounce.asSlice(0, n).asByteBuffer()), n), "cuMemcpyHtoD");
            }
        }
    }

    @Override
    public void copyToHost(DeviceBuffer src, long srcOffset, MemorySegment dst) {
        bind();
        CUdeviceptr base = buf(src).ptr();
        bounds(src, srcOffset, dst.byteSize());
        if (dst.isNative()) {
            for (long off = 0; off < dst.byteSize(); off += Integer.MAX_VALUE) {
                long n = Math.min(Integer.MAX_VALUE, dst.byteSize() - off);
                check(cuMemcpyDtoH(Pointer.to(dst.asSlice(off, n).asByteBuffer()), base.withByteOffset(srcOffset + off), n), "cuMemcpyDtoH");
            }
            return;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment bounce = arena.allocate(Math.min(BOUNCE, dst.byteSize()), 64);
            for (long off = 0; off < dst.byteSize(); off += bounce.byteSize()) {
                long n = Math.min(bounce.byteSize(), dst.byteSize() - off);
                check(cuMemcpyDtoH(Pointer.to(bounce.asSlice(0, n).asByteBuffer()), base.withByteOffset(srcOffset + off), n), "cuMemcpyDtoH");
                dst.asSlice(off, n).copyFrom(bounce.asSlice(0, n));
            }
        }
    }

    @Override
    public void copy(DeviceBuffer src, long srcOffset, DeviceBuffer dst, long dstOffset, long bytes) {
        if (bytes == 0) return;
        bind();
        bounds(src, srcOffset, bytes);
        bounds(dst, dstOffset, bytes);
        check(cuMemcpyDtoDAsync(buf(dst).ptr().withByteOffset(dstOffset), buf(src).ptr().withByteOffset(srcOffset), bytes, stream),
                "cuMemcpyDtoDAsync");
    }

    @Override
    public void fill(DeviceBuffer dst, long offset, long bytes, byte value) {
        if (bytes == 0) return;
        bind();
        bounds(dst, offset, bytes);
        check(cuMemsetD8Async(buf(dst).ptr().withByteOffset(offset), value, bytes, stream), "cuMemsetD8Async");
    }

    // ------------------------------------------------------------------ programs

    @Override
    public Program compile(ProgramSource source) {
        String text = source.text(prelude);
        byte[] image = PrebuiltPrograms.ptx(text);
        if (image == null) image = ptxCache.get(text, nvrtcArch);
        if (image == null) {
            image = Nvrtc.compile(source.name(), text, nvrtcArch);
            ptxCache.put(text, nvrtcArch, image);
        }
        return load(source.name(), image);
    }

    /** One of the jar's own CUDA modules (flash_attention, adamw), loaded once. */
    Module module(String name) {
        if (ptx == null) throw new IllegalStateException("built without nvcc: no CUDA module " + name);
        return jarModules.computeIfAbsent(name, n -> load(n, ptx.ptx(n)));
    }

    private Module load(String name, byte[] image) {
        bind();
        CUmodule m = new CUmodule();
        int r = cuModuleLoadData(m, image);
        if (r == CUresult.CUDA_ERROR_UNSUPPORTED_PTX_VERSION) {
            throw new IllegalStateException(info.device() + ": the driver (" + info.api() + ") is too old for the PTX of " + name
                    + (ptx == null ? "" : " (nvcc " + ptx.nvcc() + ", PTX ISA " + ptx.ptxIsa() + ")") + ": update the NVIDIA driver");
        }
        check(r, info.device() + ": cuModuleLoadData(" + name + ")");
        Module mod = new Module(name, m, new ConcurrentHashMap<>());
        loaded.add(mod);
        return mod;
    }

    @Override
    public void launch(Program program, String kernel, Dim3 grid, Dim3 block, KernelArg... args) {
        if (grid.isEmpty()) return;
        Pointer[] params = new Pointer[args.length];
        for (int i = 0; i < args.length; i++) {
            params[i] = switch (args[i]) {
                case KernelArg.Buf b -> Pointer.to(buf(b.buffer()).ptr());
                case KernelArg.I32 v -> Pointer.to(new int[]{v.value()});
                case KernelArg.I64 v -> Pointer.to(new long[]{v.value()});
                case KernelArg.F32 v -> Pointer.to(new float[]{v.value()});
                case KernelArg.F64 v -> Pointer.to(new double[]{v.value()});
                case KernelArg.Meta m -> Pointer.to(m.words());
            };
        }
        launch((Module) program, kernel, grid, block, 0, Pointer.to(params));
    }

    /** Launches with {@code sharedBytes} of dynamic shared memory (opted in above 48 KiB) and packed parameters. */
    void launch(Module module, String kernel, Dim3 grid, Dim3 block, int sharedBytes, Pointer params) {
        if (grid.isEmpty()) return;
        bind();
        CUfunction f = function(module, kernel, sharedBytes);
        check(cuLaunchKernel(f, grid.x(), grid.y(), grid.z(), block.x(), block.y(), block.z(), sharedBytes, stream, params, null),
                info.device() + ": launch of " + module.name() + "/" + kernel + " on " + grid + " x " + block);
    }

    /** A {@code long long} {@code __device__} variable of {@code module} (e.g. a kernel's shared-memory size). */
    long global(Module module, String name) {
        bind();
        CUdeviceptr p = new CUdeviceptr();
        long[] size = new long[1];
        check(cuModuleGetGlobal(p, size, module.module(), name), "cuModuleGetGlobal(" + module.name() + ", " + name + ")");
        long[] v = new long[1];
        check(cuMemcpyDtoH(Pointer.to(v), p, 8), "cuMemcpyDtoH");
        return v[0];
    }

    private CUfunction function(Module module, String kernel, int sharedBytes) {
        return module.functions().computeIfAbsent(kernel + "@" + sharedBytes, k -> {
            CUfunction f = new CUfunction();
            check(cuModuleGetFunction(f, module.module(), kernel), "cuModuleGetFunction(" + module.name() + ", " + kernel + ")");
            if (sharedBytes > 48 * 1024) {
                check(cuFuncSetAttribute(f, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, sharedBytes),
                        "cuFuncSetAttribute(" + kernel + ", dynamic shared " + sharedBytes + " bytes)");
            }
            return f;
        });
    }

    // ------------------------------------------------------------------ timing and completion

    @Override
    public Event record() {
        bind();
        CUevent e = new CUevent();
        check(cuEventCreate(e, 0), "cuEventCreate");
        check(cuEventRecord(e, stream), "cuEventRecord");
        CUcontext ctx = context;
        CudaEvent ev = new CudaEvent(e);
        CLEANER.register(ev, () -> {
            cuCtxSetCurrent(ctx);
            cuEventDestroy(e);
        });
        return ev;
    }

    @Override
    public double elapsedMillis(Event start, Event end) {
        bind();
        CUevent s = ((CudaEvent) start).event(), e = ((CudaEvent) end).event();
        check(cuEventSynchronize(e), "cuEventSynchronize");
        float[] ms = new float[1];
        check(cuEventElapsedTime(ms, s, e), "cuEventElapsedTime");
        return ms[0];
    }

    @Override
    public void synchronize() {
        bind();
        check(cuStreamSynchronize(stream), info.device() + ": cuStreamSynchronize");
    }

    @Override
    public void close() {
        bind();
        cuStreamSynchronize(stream);
        if (cublas != null) cublas.close();
        for (Module m : loaded) cuModuleUnload(m.module());
        loaded.clear();
        jarModules.clear();
        cuStreamDestroy(stream);
        cuDevicePrimaryCtxRelease(device);
        CURRENT.remove();
    }

    // ------------------------------------------------------------------ helpers

    /** Makes this device's context current on the calling thread. */
    void bind() {
        if (CURRENT.get() != context) {
            check(cuCtxSetCurrent(context), "cuCtxSetCurrent");
            CURRENT.set(context);
        }
    }

    private int attribute(int attr) {
        int[] v = new int[1];
        check(cuDeviceGetAttribute(v, attr, device), "cuDeviceGetAttribute(" + attr + ")");
        return v[0];
    }

    private Buffer buf(DeviceBuffer b) {
        if (b instanceof Buffer cb) return cb;
        throw new IllegalArgumentException("not a CUDA buffer: " + b);
    }

    private static void bounds(DeviceBuffer b, long offset, long bytes) {
        if (offset < 0 || bytes < 0 || offset + bytes > b.byteSize()) {
            throw new IndexOutOfBoundsException("bytes [" + offset + ", " + (offset + bytes) + ") of a buffer of " + b.byteSize());
        }
    }

    static String resource(String name) {
        try (InputStream in = CudaDriver.class.getResourceAsStream(name)) {
            if (in == null) throw new IllegalStateException("resource " + name + " missing from the cuda backend's jar");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
