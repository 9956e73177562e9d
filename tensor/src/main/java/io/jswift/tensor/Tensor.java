package io.jswift.tensor;

import io.jswift.tensor.spi.Backend;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * An n-dimensional view over a {@link Storage}: dtype, shape, strides and offset (both in elements).
 * View operations (reshape, permute, narrow, expand, squeeze, ...) share the storage and never copy;
 * {@link #contiguous()} copies only when the layout requires it. Computation lives in the
 * {@link Backend} of the tensor's device ({@link #backend()}); this class only describes memory.
 */
public final class Tensor {
    private final Storage storage;
    private final DType dtype;
    private final int[] shape;
    private final long[] strides;
    private final long offset;

    public Tensor(Storage storage, DType dtype, int[] shape, long[] strides, long offset) {
        if (shape.length != strides.length) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " and strides "
                    + Arrays.toString(strides) + " differ in rank");
        }
        for (int d : shape) {
            if (d < 0) throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
        }
        this.storage = storage;
        this.dtype = dtype;
        this.shape = shape.clone();
        this.strides = strides.clone();
        this.offset = offset;
    }

    /** A contiguous tensor over {@code storage} starting at element 0. */
    public static Tensor contiguousOver(Storage storage, DType dtype, int... shape) {
        long need = dtype.byteSize(Shapes.numel(shape));
        if (need > storage.byteSize()) {
            throw new IllegalArgumentException("storage of " + storage.byteSize() + " bytes is too small for "
                    + dtype + Arrays.toString(shape) + " (" + need + " bytes)");
        }
        return new Tensor(storage, dtype, shape, Shapes.contiguousStrides(shape), 0);
    }

    // ---------------------------------------------------------------- host factories

    /** A zero-filled host tensor. */
    public static Tensor zeros(DType dtype, int... shape) {
        return contiguousOver(HostStorage.allocate(dtype.byteSize(Shapes.numel(shape))), dtype, shape);
    }

    /** A tensor with shape and dtype but no data (see {@link MetaStorage}). */
    public static Tensor meta(DType dtype, int... shape) {
        return new Tensor(new MetaStorage(dtype.byteSize(Shapes.numel(shape))), dtype, shape, Shapes.contiguousStrides(shape), 0);
    }

    public boolean isMeta() { return storage instanceof MetaStorage; }

    public static Tensor of(float[] data, int... shape) {
        Tensor t = zeros(DType.F32, checkLength(data.length, shape));
        MemorySegment.copy(data, 0, t.hostSegment(), HostAccess.F32, 0, data.length);
        return t;
    }

    public static Tensor of(double[] data, int... shape) {
        Tensor t = zeros(DType.F64, checkLength(data.length, shape));
        MemorySegment.copy(data, 0, t.hostSegment(), HostAccess.F64, 0, data.length);
        return t;
    }

    public static Tensor ofLongs(long[] data, int... shape) {
        Tensor t = zeros(DType.I64, checkLength(data.length, shape));
        MemorySegment.copy(data, 0, t.hostSegment(), HostAccess.I64, 0, data.length);
        return t;
    }

    public static Tensor ofInts(int[] data, int... shape) {
        Tensor t = zeros(DType.I32, checkLength(data.length, shape));
        MemorySegment.copy(data, 0, t.hostSegment(), HostAccess.I32, 0, data.length);
        return t;
    }

    /** A 0-dimensional host tensor holding {@code value}. */
    public static Tensor scalar(DType dtype, double value) {
        Tensor t = zeros(dtype);
        HostAccess.write(t.hostSegment(), dtype, 0, value);
        return t;
    }

    private static int[] checkLength(int length, int[] shape) {
        int[] s = shape.length == 0 && length != 1 ? new int[]{length} : shape;
        if (Shapes.numel(s) != length) {
            throw new IllegalArgumentException(length + " values do not fill shape " + Arrays.toString(s));
        }
        return s;
    }

    // ---------------------------------------------------------------- metadata

    public Storage storage() { return storage; }

    public DType dtype() { return dtype; }

    public Device device() { return storage.device(); }

    public Backend backend() { return Backends.forDevice(device()); }

    public int rank() { return shape.length; }

    public int[] shape() { return shape.clone(); }

    public int size(int dim) { return shape[Shapes.wrapDim(dim, shape.length)]; }

    public long[] strides() { return strides.clone(); }

    public long stride(int dim) { return strides[Shapes.wrapDim(dim, shape.length)]; }

    public long offset() { return offset; }

    public long numel() { return Shapes.numel(shape); }

    /** True when elements are laid out in row-major order without gaps (size-1 dims may have any stride). */
    public boolean isContiguous() {
        long expected = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            if (shape[i] == 1) continue;
            if (strides[i] != expected) return false;
            expected *= shape[i];
        }
        return true;
    }

    /** The host segment of this tensor's storage (whole storage, not offset); throws if not on the host. */
    public MemorySegment hostSegment() {
        if (!(storage instanceof HostStorage h)) {
            throw new IllegalStateException("tensor is on " + device() + ", not on the host: copy it with to(Device.CPU)");
        }
        return h.segment();
    }

    /**
     * When this tensor views a memory-mapped file region (a checkpoint's tensor), drops the pages of that region from
     * this process's resident memory ({@link MemorySegment#unload()}: madvise MADV_DONTNEED on Linux); the contents do
     * not change and are read again from the page cache or the file on the next access. Else does nothing. Pages are
     * whole: a page shared with a neighbouring tensor is dropped too, which costs that tensor only a re-read. Used after
     * a frozen weight has been turned into another form (quantization at load), so that its file-backed pages, which
     * count in the resident set size like any others, do not stay mapped in for the rest of the run.
     */
    public void unloadMappedPages() {
        if (!(storage instanceof HostStorage h) || !h.segment().isMapped() || numel() == 0) return;
        MemorySegment seg = h.segment();
        if (isContiguous()) seg = seg.asSlice(dtype.byteSize(offset), dtype.byteSize(numel()));
        seg.unload();
    }

    // ---------------------------------------------------------------- views

    /** Same elements, new shape; one dim may be -1. Requires a layout that allows a view (else use {@link #reshape}). */
    public Tensor view(int... newShape) {
        int[] target = inferShape(newShape);
        long[] newStrides = viewStrides(target);
        if (newStrides == null) {
            throw new IllegalStateException("view " + Arrays.toString(target) + " is impossible for a tensor of shape "
                    + Arrays.toString(shape) + " with strides " + Arrays.toString(strides) + ": use reshape() or contiguous()");
        }
        return new Tensor(storage, dtype, target, newStrides, offset);
    }

    /** Like {@link #view} but copies when the layout does not allow a view. */
    public Tensor reshape(int... newShape) {
        int[] target = inferShape(newShape);
        long[] newStrides = viewStrides(target);
        if (newStrides != null) return new Tensor(storage, dtype, target, newStrides, offset);
        return contiguous().view(target);
    }

    public Tensor flatten() { return reshape(-1); }

    private int[] inferShape(int[] newShape) {
        int[] target = newShape.clone();
        int infer = -1;
        long known = 1;
        for (int i = 0; i < target.length; i++) {
            if (target[i] == -1) {
                if (infer >= 0) throw new IllegalArgumentException("only one dimension can be -1 in " + Arrays.toString(newShape));
                infer = i;
            } else {
                if (target[i] < 0) throw new IllegalArgumentException("negative dimension in " + Arrays.toString(newShape));
                known *= target[i];
            }
        }
        long n = numel();
        if (infer >= 0) {
            if (known == 0 || n % known != 0) {
                throw new IllegalArgumentException("cannot infer -1 in " + Arrays.toString(newShape) + " for " + n + " elements");
            }
            target[infer] = (int) (n / known);
        } else if (known != n) {
            throw new IllegalArgumentException("shape " + Arrays.toString(newShape) + " (" + known
                    + " elements) does not match tensor of shape " + Arrays.toString(shape) + " (" + n + " elements)");
        }
        return target;
    }

    /** Strides for viewing this tensor as {@code target}, or null when it would need a copy (PyTorch's computeStride). */
    private long[] viewStrides(int[] target) {
        if (numel() == 0 || isContiguous()) return Shapes.contiguousStrides(target);
        long[] out = new long[target.length];
        int viewD = target.length - 1;
        long chunkBaseStride = strides.length > 0 ? strides[strides.length - 1] : 1;
        long tensorNumel = 1;
        long viewNumel = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            tensorNumel *= shape[d];
            if (d == 0 || (shape[d - 1] != 1 && strides[d - 1] != tensorNumel * chunkBaseStride)) {
                while (viewD >= 0 && (viewNumel < tensorNumel || target[viewD] == 1)) {
                    out[viewD] = viewNumel * chunkBaseStride;
                    viewNumel *= target[viewD];
                    viewD--;
                }
                if (viewNumel != tensorNumel) return null;
                if (d > 0) {
                    chunkBaseStride = strides[d - 1];
                    tensorNumel = 1;
                    viewNumel = 1;
                }
            }
        }
        return viewD == -1 ? out : null;
    }

    public Tensor permute(int... dims) {
        if (dims.length != shape.length) {
            throw new IllegalArgumentException("permute needs " + shape.length + " dims, got " + Arrays.toString(dims));
        }
        int[] s = new int[dims.length];
        long[] st = new long[dims.length];
        boolean[] seen = new boolean[dims.length];
        for (int i = 0; i < dims.length; i++) {
            int d = Shapes.wrapDim(dims[i], shape.length);
            if (seen[d]) throw new IllegalArgumentException("repeated dim in permute " + Arrays.toString(dims));
            seen[d] = true;
            s[i] = shape[d];
            st[i] = strides[d];
        }
        return new Tensor(storage, dtype, s, st, offset);
    }

    public Tensor transpose(int dim0, int dim1) {
        int a = Shapes.wrapDim(dim0, shape.length), b = Shapes.wrapDim(dim1, shape.length);
        int[] perm = new int[shape.length];
        for (int i = 0; i < perm.length; i++) perm[i] = i;
        perm[a] = b;
        perm[b] = a;
        return permute(perm);
    }

    /** Elements [start, start+length) along {@code dim}. */
    public Tensor narrow(int dim, int start, int length) {
        int d = Shapes.wrapDim(dim, shape.length);
        if (start < 0 || length < 0 || start + length > shape[d]) {
            throw new IndexOutOfBoundsException("narrow(dim=" + dim + ", start=" + start + ", length=" + length
                    + ") is outside size " + shape[d]);
        }
        int[] s = shape.clone();
        s[d] = length;
        return new Tensor(storage, dtype, s, strides, offset + (long) start * strides[d]);
    }

    /** Python-style slice [start:end:step] along {@code dim} (step > 0). */
    public Tensor slice(int dim, int start, int end, int step) {
        int d = Shapes.wrapDim(dim, shape.length);
        if (step <= 0) throw new IllegalArgumentException("slice step must be positive, got " + step);
        int n = shape[d];
        int lo = Math.max(0, Math.min(n, start < 0 ? start + n : start));
        int hi = Math.max(lo, Math.min(n, end < 0 ? end + n : end));
        int[] s = shape.clone();
        long[] st = strides.clone();
        s[d] = (hi - lo + step - 1) / step;
        st[d] = strides[d] * step;
        return new Tensor(storage, dtype, s, st, offset + (long) lo * strides[d]);
    }

    /** The slice at {@code index} along {@code dim}, with that dim removed. */
    public Tensor select(int dim, int index) {
        int d = Shapes.wrapDim(dim, shape.length);
        int i = index < 0 ? index + shape[d] : index;
        if (i < 0 || i >= shape[d]) {
            throw new IndexOutOfBoundsException("index " + index + " is out of range for dim " + dim + " of size " + shape[d]);
        }
        int[] s = new int[shape.length - 1];
        long[] st = new long[shape.length - 1];
        for (int k = 0, j = 0; k < shape.length; k++) {
            if (k == d) continue;
            s[j] = shape[k];
            st[j++] = strides[k];
        }
        return new Tensor(storage, dtype, s, st, offset + (long) i * strides[d]);
    }

    /** Broadcasts size-1 dims (and new leading dims) to {@code newShape} with stride 0; -1 keeps a size. */
    public Tensor expand(int... newShape) {
        if (newShape.length < shape.length) {
            throw new IllegalArgumentException("cannot expand shape " + Arrays.toString(shape) + " to fewer dims " + Arrays.toString(newShape));
        }
        int lead = newShape.length - shape.length;
        int[] s = new int[newShape.length];
        long[] st = new long[newShape.length];
        for (int i = 0; i < newShape.length; i++) {
            if (i < lead) {
                if (newShape[i] < 0) throw new IllegalArgumentException("-1 is not allowed for new leading dims in expand");
                s[i] = newShape[i];
                st[i] = 0;
                continue;
            }
            int old = shape[i - lead];
            int want = newShape[i] == -1 ? old : newShape[i];
            if (want == old) {
                s[i] = old;
                st[i] = strides[i - lead];
            } else if (old == 1) {
                s[i] = want;
                st[i] = 0;
            } else {
                throw new IllegalArgumentException("cannot expand shape " + Arrays.toString(shape) + " to " + Arrays.toString(newShape)
                        + " (dim " + i + " has size " + old + ", not 1)");
            }
        }
        return new Tensor(storage, dtype, s, st, offset);
    }

    public Tensor unsqueeze(int dim) {
        int d = Shapes.wrapDim(dim, shape.length + 1);
        int[] s = new int[shape.length + 1];
        long[] st = new long[shape.length + 1];
        for (int i = 0, j = 0; i < s.length; i++) {
            if (i == d) {
                s[i] = 1;
                st[i] = j < shape.length ? strides[j] * shape[j] : 1;
            } else {
                s[i] = shape[j];
                st[i] = strides[j++];
            }
        }
        return new Tensor(storage, dtype, s, st, offset);
    }

    /** Removes {@code dim}, which must have size 1. */
    public Tensor squeeze(int dim) {
        int d = Shapes.wrapDim(dim, shape.length);
        if (shape[d] != 1) throw new IllegalArgumentException("cannot squeeze dim " + dim + " of size " + shape[d]);
        return select(d, 0);
    }

    /** Removes every size-1 dim. */
    public Tensor squeeze() {
        Tensor t = this;
        for (int i = shape.length - 1; i >= 0; i--) if (shape[i] == 1) t = t.select(i, 0);
        return t;
    }

    // ---------------------------------------------------------------- copies and conversions

    /** This tensor if already contiguous, else a contiguous copy on the same device. */
    public Tensor contiguous() {
        if (isContiguous() && !dtype.isPacked()) return this;
        Tensor out = backend().allocate(dtype, shape);
        backend().copy(this, out);
        return out;
    }

    /** A contiguous copy (always a new storage). */
    public Tensor copy() {
        Tensor out = backend().allocate(dtype, shape);
        backend().copy(this, out);
        return out;
    }

    /** This tensor converted to {@code target} (itself when the dtype already matches). */
    public Tensor to(DType target) {
        if (target == dtype) return this;
        Tensor out = backend().allocate(target, shape);
        backend().copy(this, out);
        return out;
    }

    /** This tensor on {@code target} (itself when already there). */
    public Tensor to(Device target) {
        if (target.equals(device())) return this;
        Tensor host = device().equals(Device.CPU) ? this : backend().toHost(this);
        return target.equals(Device.CPU) ? host : Backends.forDevice(target).fromHost(host);
    }

    // ---------------------------------------------------------------- element access (host; for tests and small data)

    private long elementIndex(int[] idx) {
        if (idx.length != shape.length) {
            throw new IllegalArgumentException("expected " + shape.length + " indices, got " + idx.length);
        }
        long e = offset;
        for (int i = 0; i < idx.length; i++) {
            if (idx[i] < 0 || idx[i] >= shape[i]) {
                throw new IndexOutOfBoundsException("index " + Arrays.toString(idx) + " is outside shape " + Arrays.toString(shape));
            }
            e += idx[i] * strides[i];
        }
        return e;
    }

    public double getDouble(int... idx) { return HostAccess.read(hostSegment(), dtype, elementIndex(idx)); }

    public float getFloat(int... idx) { return (float) getDouble(idx); }

    public long getLong(int... idx) { return HostAccess.readLong(hostSegment(), dtype, elementIndex(idx)); }

    public void setDouble(double v, int... idx) { HostAccess.write(hostSegment(), dtype, elementIndex(idx), v); }

    public void setLong(long v, int... idx) { HostAccess.writeLong(hostSegment(), dtype, elementIndex(idx), v); }

    /** All elements in row-major order as doubles (copies to the host first if needed). */
    public double[] toDoubleArray() {
        Tensor h = to(Device.CPU);
        double[] out = new double[Math.toIntExact(numel())];
        ElementOrder.forEachOffset(h.shape, h.strides, h.offset, (i, off) -> out[(int) i] = HostAccess.read(h.hostSegment(), dtype, off));
        return out;
    }

    public float[] toFloatArray() {
        Tensor h = to(Device.CPU);
        if (dtype == DType.F32 && h.isContiguous()) { // one bulk copy: generation reads a vocabulary of logits per token
            float[] out = new float[Math.toIntExact(numel())];
            MemorySegment.copy(h.hostSegment(), HostAccess.F32, h.offset * 4, out, 0, out.length);
            return out;
        }
        double[] d = h.toDoubleArray();
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) f[i] = (float) d[i];
        return f;
    }

    public long[] toLongArray() {
        Tensor h = to(Device.CPU);
        long[] out = new long[Math.toIntExact(numel())];
        ElementOrder.forEachOffset(h.shape, h.strides, h.offset, (i, off) -> out[(int) i] = HostAccess.readLong(h.hostSegment(), dtype, off));
        return out;
    }

    /** The single value of a one-element tensor. */
    public double item() {
        if (numel() != 1) throw new IllegalStateException("item() needs exactly one element, tensor has shape " + Arrays.toString(shape));
        return to(Device.CPU).toDoubleArray()[0];
    }

    @Override
    public String toString() {
        return "Tensor(" + dtype + Arrays.toString(shape) + ", " + device() + (isContiguous() ? "" : ", strides=" + Arrays.toString(strides)) + ")";
    }
}
