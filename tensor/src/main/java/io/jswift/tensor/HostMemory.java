package io.jswift.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.ref.PhantomReference;
import java.lang.ref.Reference;
import java.lang.ref.ReferenceQueue;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.TreeMap;

/**
 * Off-heap memory for host tensors, with a caching allocator (the idea of PyTorch's caching allocator).
 * Java has no reference counts, so the garbage collector is what learns that a tensor died: each block is
 * tracked by a phantom reference to its storage, and dead blocks are taken back into per-size free lists
 * when allocating, instead of being returned to the OS. Reusing warm blocks matters: a fresh multi-megabyte
 * allocation page-faults on first touch, which cost ~15 ms per 4 MiB on the VMs here, more than the ops.
 *
 * <p>The collector cannot see off-heap bytes, so when no cached block fits and {@code jswift.gcAfterBytes}
 * (default 256 MiB) were handed out since the last collection, a collection is requested and the dead
 * blocks it finds are reclaimed right away; only then is fresh memory allocated.
 * Cached blocks above {@code jswift.cacheBytes} (default a third of the RAM) go back to the OS. The cache
 * trades memory for speed: training the Qwen2.5-0.5B shape ran at 18 tok/s with a 2 GiB cache and at
 * 37 tok/s with 8 GiB (docs/BENCHMARKS.md), because fresh pages are zeroed and page-faulted.
 *
 * <p>Measured alternatives, rejected: closing a shared arena per tensor (each close is a JVM-wide
 * handshake, 10x slower on small ops); small tensors in Java arrays (Vector API loads then see heap and
 * native segments at the same call sites and fall back to a non-intrinsic path, 5x slower).
 */
final class HostMemory {
    private static final long GC_AFTER = Long.getLong("jswift.gcAfterBytes", 256L << 20);
    private static final long CACHE_LIMIT = Long.getLong("jswift.cacheBytes", physicalMemory() / 3);
    private static final ReferenceQueue<Object> DEAD = new ReferenceQueue<>();
    // Live blocks in an intrusive doubly linked list (keeps the phantom references reachable; O(1) without the
    // identity hash codes a hash set computes for every new block: 3% of a training profile)
    private static final Block TRACKED = new Block(null, 0, null);
    // free blocks by size class; a request may take a cached block of up to FIT_RATIO times its size (slice of
    // it) before going fresh: exact-size lists alone left 4.6 GiB cached beside 4.7 GiB of fresh blocks in a LoRA
    // run whose live tensors peak near 1.5 GiB (each size class kept its own high-water mark)
    private static final TreeMap<Long, ArrayDeque<MemorySegment>> FREE = new TreeMap<>();
    private static final double FIT_RATIO = Double.parseDouble(System.getProperty("jswift.cacheFitRatio", "2"));
    private static long cached, allocatedSinceGc;
    private static long freshTotal, freshCount, live, peakLive; // statistics (jswift.memStats)
    static {
        if (Boolean.getBoolean("jswift.memStats")) {
            Runtime.getRuntime().addShutdownHook(new Thread(() -> System.err.printf(
                    "host memory: %.2f GiB fresh in %d blocks, peak tracked %.2f GiB, cached now %.2f GiB%n",
                    freshTotal / 1073741824.0, freshCount, peakLive / 1073741824.0, cached / 1073741824.0)));
        }
    }

    private HostMemory() {}

    /** Physical RAM (8 GiB when the platform does not say). */
    private static long physicalMemory() {
        try {
            var os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
            if (os instanceof com.sun.management.OperatingSystemMXBean sun) return sun.getTotalMemorySize();
        } catch (RuntimeException | LinkageError e) {
            // fall through to the default
        }
        return 8L << 30;
    }

    /** A block tracked until its owner (the storage) becomes unreachable. */
    private static final class Block extends PhantomReference<Object> {
        final long size;
        final MemorySegment memory;

        Block prev = this, next = this; // the TRACKED list; a block not in it points to itself

        Block(Object owner, long size, MemorySegment memory) {
            super(owner, DEAD);
            this.size = size;
            this.memory = memory;
        }

        /** Appends to the TRACKED list (caller holds the HostMemory lock). */
        void link() {
            prev = TRACKED.prev;
            next = TRACKED;
            TRACKED.prev.next = this;
            TRACKED.prev = this;
        }

        /** Removes from the TRACKED list; false when it was not in it (caller holds the HostMemory lock). */
        boolean unlink() {
            if (next == this) return false;
            prev.next = next;
            next.prev = prev;
            prev = next = this;
            return true;
        }
    }

    /** Blocks are rounded up to 512 bytes (small) or 64 KiB (large) so that similar sizes share a free list. */
    static long sizeClass(long bytes) {
        long unit = bytes < (1 << 20) ? 512 : 1 << 16;
        return Math.max(unit, (bytes + unit - 1) / unit * unit);
    }

    /** A zero-filled, 64-byte aligned off-heap segment of {@code bytes} bytes that lives as long as {@code owner}. */
    static MemorySegment allocate(long bytes, Object owner) {
        long cls = sizeClass(bytes);
        MemorySegment block;
        synchronized (HostMemory.class) {
            reclaim();
            block = pop(cls);
            if (block == null && allocatedSinceGc >= GC_AFTER) {
                // blocks handed out since the last collection may be dead already: collect before going fresh
                allocatedSinceGc = 0;
                System.gc();
                awaitReclaim();
                block = pop(cls);
            }
            allocatedSinceGc += cls;
        }
        boolean fresh = block == null;
        if (block != null) {
            block.asSlice(0, bytes).fill((byte) 0);
        } else {
            try {
                block = Arena.ofAuto().allocate(cls, 64);
            } catch (OutOfMemoryError e) {
                throw new OutOfMemoryError("cannot allocate " + bytes + " bytes of host memory for a tensor (" + cached
                        + " bytes cached): " + e.getMessage() + " — tensors are off-heap: raise -XX:MaxDirectMemorySize "
                        + "(JSWIFT_JAVA_OPTS) or use less memory (smaller batch, --gradient_checkpointing)");
            }
        }
        Block tracked = new Block(owner, block.byteSize(), block);
        cls = block.byteSize();
        synchronized (HostMemory.class) {
            tracked.link();
            live += cls;
            peakLive = Math.max(peakLive, live);
            if (fresh) { freshTotal += cls; freshCount++; }
        }
        if (owner instanceof HostStorage storage) storage.block = tracked;
        return block.asSlice(0, bytes);
    }

    /**
     * Takes the block of {@code storage} back into the free lists now, instead of when a collection finds the
     * storage dead, and leaves the storage with an empty segment (a later access fails instead of reading
     * reused memory). For engines that own a tensor exclusively (autograd's backward temporaries).
     */
    static void release(HostStorage storage) {
        synchronized (HostMemory.class) {
            if (!(storage.block instanceof Block b) || !b.unlink()) return;
            live -= b.size;
            b.clear();
            storage.block = null;
            storage.markReleased();
            cache(b);
        }
    }

    /** A cached block of class {@code cls}, else the smallest cached one up to FIT_RATIO times larger. */
    private static MemorySegment pop(long cls) {
        ArrayDeque<MemorySegment> list = FREE.get(cls);
        MemorySegment s = list == null ? null : list.pollFirst();
        if (s == null) {
            long limit = (long) (cls * FIT_RATIO);
            for (Map.Entry<Long, ArrayDeque<MemorySegment>> e : FREE.subMap(cls, false, limit, true).entrySet()) {
                if ((s = e.getValue().pollFirst()) != null) break;
            }
        }
        if (s != null) cached -= s.byteSize();
        return s;
    }

    /** Moves every block whose owner died into its free list (or lets it go past the cache limit). */
    private static void reclaim() {
        Reference<?> r;
        while ((r = DEAD.poll()) != null) take((Block) r);
    }

    /** After a requested collection the references arrive from the reference-handler thread: wait briefly. */
    private static void awaitReclaim() {
        try {
            Reference<?> r = DEAD.remove(20);
            if (r != null) take((Block) r);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        reclaim();
    }

    /** A block whose storage died: into the free lists, unless it was released early already. */
    private static void take(Block b) {
        if (b.unlink()) {
            live -= b.size;
            cache(b);
        }
    }

    private static void cache(Block b) {
        if (cached + b.size > CACHE_LIMIT) return; // unreferenced now: its automatic arena frees it
        cached += b.size;
        FREE.computeIfAbsent(b.size, k -> new ArrayDeque<>()).addFirst(b.memory);
    }
}
