package io.jswift.backend.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.List;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Run-time compilation with NVRTC (libnvrtc.so.13, else .so.12), reached with java.lang.foreign: the fallback
 * for a portable program whose PTX the build did not prebuild (CudaDriver looks for the prebuilt PTX first).
 * Machines with the CUDA toolkit or PyTorch have it; without it such a program fails with the reason.
 */
final class Nvrtc {
    private record Api(MethodHandle create, MethodHandle compile, MethodHandle ptxSize, MethodHandle ptx,
                       MethodHandle logSize, MethodHandle log, MethodHandle destroy) {}

    private static volatile Object api; // Api, or the String reason it is absent

    private Nvrtc() {}

    static String status() {
        Object a = load();
        return a instanceof Api ? "available" : "unavailable (" + a + ")";
    }

    /**
     * The PTX of {@code source} for {@code arch} (e.g. compute_90), NUL-terminated; throws with NVRTC's log and the
     * numbered source when it does not compile.
     */
    static byte[] compile(String name, String source, String arch) {
        Object o = load();
        if (!(o instanceof Api a)) {
            throw new IllegalStateException("program " + name + " has no prebuilt PTX in this jar and NVRTC is " + o);
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment progCell = arena.allocate(ADDRESS);
            check((int) a.create().invokeExact(progCell, arena.allocateFrom(source), arena.allocateFrom(name), 0,
                    MemorySegment.NULL, MemorySegment.NULL), "nvrtcCreateProgram");
            MemorySegment prog = progCell.get(ADDRESS, 0);
            try {
                List<String> opts = List.of("--gpu-architecture=" + arch, "--std=c++17");
                MemorySegment optv = arena.allocate(ADDRESS, opts.size());
                for (int i = 0; i < opts.size(); i++) optv.setAtIndex(ADDRESS, i, arena.allocateFrom(opts.get(i)));
                int r = (int) a.compile().invokeExact(prog, opts.size(), optv);
                if (r != 0) {
                    throw new IllegalStateException("NVRTC could not compile " + name + " (nvrtcResult " + r + "):\n"
                            + text(a.logSize(), a.log(), prog, arena) + "\n" + numbered(source));
                }
                byte[] ptx = text(a.ptxSize(), a.ptx(), prog, arena).getBytes(java.nio.charset.StandardCharsets.UTF_8);
                return java.util.Arrays.copyOf(ptx, ptx.length + 1);
            } finally {
                int ignored = (int) a.destroy().invokeExact(progCell);
            }
        } catch (RuntimeException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("NVRTC call failed for " + name, t);
        }
    }

    private static String text(MethodHandle size, MethodHandle get, MemorySegment prog, Arena arena) throws Throwable {
        MemorySegment n = arena.allocate(JAVA_LONG);
        check((int) size.invokeExact(prog, n), "nvrtcGet*Size");
        MemorySegment buf = arena.allocate(JAVA_BYTE, Math.max(1, n.get(JAVA_LONG, 0)));
        check((int) get.invokeExact(prog, buf), "nvrtcGet*");
        return buf.getString(0);
    }

    private static String numbered(String source) {
        StringBuilder sb = new StringBuilder();
        String[] lines = source.split("\n", -1);
        for (int i = 0; i < lines.length; i++) sb.append(String.format("%5d  %s%n", i + 1, lines[i]));
        return sb.toString();
    }

    private static void check(int r, String call) {
        if (r != 0) throw new IllegalStateException(call + " failed: nvrtcResult " + r);
    }

    private static Object load() {
        Object a = api;
        if (a == null) {
            synchronized (Nvrtc.class) {
                if (api == null) api = bind();
                a = api;
            }
        }
        return a;
    }

    private static Object bind() {
        NativeLibrary.Found f = NativeLibrary.open(List.of("libnvrtc.so.13", "libnvrtc.so.12"), List.of("libnvrtc-builtins"));
        if (f.library() == null) return "libnvrtc.so.13 / .so.12 " + f.reason();
        NativeLibrary lib = f.library();
        try {
            FunctionDescriptor getSize = FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS);
            return new Api(
                    lib.require(FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS), "nvrtcCreateProgram"),
                    lib.require(FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS), "nvrtcCompileProgram"),
                    lib.require(getSize, "nvrtcGetPTXSize"), lib.require(getSize, "nvrtcGetPTX"),
                    lib.require(getSize, "nvrtcGetProgramLogSize"), lib.require(getSize, "nvrtcGetProgramLog"),
                    lib.require(FunctionDescriptor.of(JAVA_INT, ADDRESS), "nvrtcDestroyProgram"));
        } catch (IllegalStateException e) {
            return e.getMessage();
        }
    }
}
