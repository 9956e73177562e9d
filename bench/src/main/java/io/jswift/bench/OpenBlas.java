package io.jswift.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * The peer: Debian's libopenblas {@code cblas_sgemm} called through java.lang.foreign in the same JVM,
 * so both sides of a comparison run on the same machine at the same moment.
 */
final class OpenBlas {
    private static final int ROW_MAJOR = 101, NO_TRANS = 111, TRANS = 112;
    private final MethodHandle sgemm;

    OpenBlas() {
        SymbolLookup lib;
        try {
            lib = SymbolLookup.libraryLookup("libopenblas.so.0", Arena.global());
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("libopenblas.so.0 not found: apt-get install libopenblas0-pthread", e);
        }
        MemorySegment fn = lib.find("cblas_sgemm").orElseThrow(() -> new IllegalStateException("cblas_sgemm missing in libopenblas"));
        var I = ValueLayout.JAVA_INT;
        var F = ValueLayout.JAVA_FLOAT;
        var P = ValueLayout.ADDRESS;
        sgemm = Linker.nativeLinker().downcallHandle(fn, FunctionDescriptor.ofVoid(I, I, I, I, I, I, F, P, I, P, I, F, P, I));
    }

    /** C[m, n] = op(A)·op(B), row-major, all contiguous. */
    void sgemm(boolean transA, boolean transB, int m, int n, int k, MemorySegment a, MemorySegment b, MemorySegment c) {
        try {
            sgemm.invokeExact(ROW_MAJOR, transA ? TRANS : NO_TRANS, transB ? TRANS : NO_TRANS, m, n, k, 1.0f,
                    a, transA ? m : k, b, transB ? k : n, 0.0f, c, n);
        } catch (Throwable t) {
            throw new IllegalStateException("cblas_sgemm failed", t);
        }
    }
}
