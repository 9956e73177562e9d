package io.jswift.backend.gpu;

import io.jswift.tensor.Device;
import io.jswift.tensor.Tensor;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One device opened through a {@link Driver}: its buffer pool, its compiled programs (each program source is
 * built once) and kernel launches with arguments given as Java values: a {@link Tensor} passes its buffer (its
 * element offset goes separately), {@code Integer} an i32, {@code Long} an i64, {@code Float} a float,
 * {@code Double} a double, {@code long[]} a by-value {@code Meta}, a {@link KernelArg} itself.
 */
public final class GpuDevice {
    /** CUDA's limit on the y and z grid dims (x allows 2^31 - 1 blocks). */
    static final int MAX_GRID_YZ = 65535;

    private final Driver driver;
    private final DeviceInfo info;
    private final BufferPool pool;
    private final Map<String, Program> programs = new ConcurrentHashMap<>();

    public GpuDevice(Driver driver) {
        this.driver = driver;
        this.info = driver.info();
        this.pool = new BufferPool(driver);
    }

    public Driver driver() { return driver; }

    public DeviceInfo info() { return info; }

    public Device device() { return info.device(); }

    public BufferPool pool() { return pool; }

    /** A buffer of {@code bytes} (contents undefined unless {@code zero}). */
    public GpuStorage allocate(long bytes, boolean zero) {
        DeviceBuffer b = pool.take(Math.max(1, bytes));
        if (zero && bytes > 0) driver.fill(b, 0, bytes, (byte) 0);
        return new GpuStorage(this, b, bytes);
    }

    /** The buffer of {@code t}, which must live on this device. */
    public GpuStorage storage(Tensor t) {
        if (t.storage() instanceof GpuStorage s && s.owner() == this) return s;
        throw new IllegalArgumentException("tensor " + t + " is on " + t.device() + " but this op runs on "
                + device() + ": move it first with tensor.to(" + device() + ")");
    }

    public Program program(ProgramSource source) {
        return programs.computeIfAbsent(source.key(), k -> driver.compile(source));
    }

    /** Launches {@code kernel} of {@code source} on {@code grid} blocks of {@code block} threads; an empty grid does nothing. */
    public void launch(ProgramSource source, String kernel, Dim3 grid, Dim3 block, Object... args) {
        if (grid.isEmpty()) return;
        if (grid.y() > MAX_GRID_YZ || grid.z() > MAX_GRID_YZ) {
            throw new IllegalArgumentException(kernel + ": grid " + grid + " exceeds " + MAX_GRID_YZ + " blocks along y or z");
        }
        KernelArg[] a = new KernelArg[args.length];
        for (int i = 0; i < args.length; i++) a[i] = arg(args[i], kernel, i);
        driver.launch(program(source), kernel, grid, block, a);
    }

    private KernelArg arg(Object o, String kernel, int i) {
        return switch (o) {
            case Tensor t -> new KernelArg.Buf(storage(t).buffer());
            case Integer v -> new KernelArg.I32(v);
            case Long v -> new KernelArg.I64(v);
            case Float v -> new KernelArg.F32(v);
            case Double v -> new KernelArg.F64(v);
            case long[] m -> KernelArg.Meta.of(m);
            case KernelArg k -> k;
            default -> throw new IllegalArgumentException(kernel + ": unsupported argument " + i + " of type " + o.getClass().getName());
        };
    }
}
