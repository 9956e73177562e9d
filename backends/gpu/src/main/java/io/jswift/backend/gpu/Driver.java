package io.jswift.backend.gpu;

import java.lang.foreign.MemorySegment;

/**
 * All that a GPU API (OpenCL, CUDA) implements for jswift; everything else of a device backend — launch
 * geometry, kernel choice, dtype rules, argument checks, the allocator — is written once over this interface
 * in {@code backends/gpu}, and the kernels once in the C dialect of {@code DIALECT.md}, compiled behind
 * {@link #prelude()}.
 *
 * <p>Ordering: a driver runs all work of its device in one in-order queue (an OpenCL in-order command queue, a
 * CUDA stream), so a launch, copy or fill sees every earlier one complete. Copies to the host block until the
 * bytes are there; other calls may return before the device has finished. Every method may be called from any
 * thread; implementations serialize what needs it (an OpenCL kernel's arguments are shared state).
 *
 * <p>Geometry is CUDA's: {@code grid} counts blocks (OpenCL work-groups) per dim, {@code block} counts threads
 * (work items) per block, so the global size of dim d is {@code grid.d * block.d}.
 *
 * <p>Failures are {@link IllegalStateException}s naming the device and what failed (a build failure carries
 * the compiler's log and the numbered source), except an allocation the device cannot satisfy, which throws
 * {@link DeviceOutOfMemoryException} so that the allocator can release cached and unreachable buffers and retry.
 */
public interface Driver extends AutoCloseable {

    /** What the device is and can do. */
    DeviceInfo info();

    /**
     * The text placed before every program (after its {@link ProgramSource#defines() defines}): the macros and
     * types of the kernel dialect in this API's words. The contract is {@code DIALECT.md} next to this class;
     * {@link Dialect#REQUIRED} lists the names a prelude must define.
     */
    String prelude();

    // ------------------------------------------------------------------ memory

    /** A buffer of {@code bytes} (> 0) whose contents are undefined. */
    DeviceBuffer allocate(long bytes);

    /** Returns {@code buffer} to the device; it must not be used afterwards (queued work that uses it completes first). */
    void free(DeviceBuffer buffer);

    /** Copies all of {@code src} (host memory, heap or native) into {@code dst} at byte {@code dstOffset}. */
    void copyFromHost(MemorySegment src, DeviceBuffer dst, long dstOffset);

    /** Copies {@code dst.byteSize()} bytes of {@code src} from byte {@code srcOffset} into {@code dst}; blocks until done. */
    void copyToHost(DeviceBuffer src, long srcOffset, MemorySegment dst);

    /** Copies {@code bytes} bytes between (or within, not overlapping) device buffers. */
    void copy(DeviceBuffer src, long srcOffset, DeviceBuffer dst, long dstOffset, long bytes);

    /** Sets {@code bytes} bytes of {@code dst} from byte {@code offset} to {@code value}. */
    void fill(DeviceBuffer dst, long offset, long bytes, byte value);

    // ------------------------------------------------------------------ programs

    /**
     * Compiles {@code source} behind this driver's prelude (or loads its prebuilt binary); the result may be
     * cached by the caller and used for any number of launches. A build failure throws with the compiler's log.
     */
    Program compile(ProgramSource source);

    /**
     * Enqueues kernel {@code kernel} of {@code program} on {@code grid} blocks of {@code block} threads. The
     * arguments match the kernel's parameters in order and kind (see {@link KernelArg}). A grid with a zero
     * dim launches nothing.
     */
    void launch(Program program, String kernel, Dim3 grid, Dim3 block, KernelArg... args);

    // ------------------------------------------------------------------ timing and completion

    /** Marks the queue now; the mark completes when all work queued before it has. */
    Event record();

    /** Milliseconds of device time between two marks of this driver (waits for {@code end} to complete). */
    double elapsedMillis(Event start, Event end);

    /** Blocks until all queued work has finished. */
    void synchronize();

    /** Releases the device's context, programs and any buffers still allocated. */
    @Override
    void close();
}
