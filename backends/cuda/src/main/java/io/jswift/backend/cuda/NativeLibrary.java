package io.jswift.backend.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A CUDA toolkit library (cuBLAS, NVRTC) opened with java.lang.foreign. CUDA libraries often live outside the
 * loader's search path (/usr/local/cuda/lib64, PyTorch's site-packages/nvidia/...), so after the plain soname
 * each directory of {@code CUDA_HOME}, {@code /usr/local/cuda} and {@code JSWIFT_CUDA_LIBS} (':'-separated) is
 * tried; {@code companions} (e.g. libcublasLt for libcublas) are opened first from the same directory, so the
 * library's own dependency resolves to them by soname. Open libraries stay loaded for the JVM's life.
 */
record NativeLibrary(String file, SymbolLookup lookup) {
    /** Either the library or the places tried and why each failed. */
    record Found(NativeLibrary library, String reason) {}

    /** Tries each soname in order (e.g. libcublas.so.13, then .so.12), with its companions. */
    static Found open(List<String> sonames, List<String> companionPrefixes) {
        List<String> tried = new ArrayList<>();
        for (String soname : sonames) {
            String suffix = soname.substring(soname.indexOf(".so"));
            try {
                return new Found(new NativeLibrary(soname, SymbolLookup.libraryLookup(soname, Arena.global())), null);
            } catch (IllegalArgumentException e) {
                tried.add(soname);
            }
            for (Path dir : searchDirs()) {
                Path lib = dir.resolve(soname);
                if (!Files.isRegularFile(lib)) continue;
                try {
                    for (String c : companionPrefixes) {
                        Path comp = dir.resolve(c + suffix);
                        if (Files.isRegularFile(comp)) SymbolLookup.libraryLookup(comp, Arena.global());
                    }
                    return new Found(new NativeLibrary(lib.toString(), SymbolLookup.libraryLookup(lib, Arena.global())), null);
                } catch (IllegalArgumentException e) {
                    tried.add(lib + " (" + e.getMessage() + ")");
                }
            }
        }
        return new Found(null, "not found: tried " + String.join(", ", tried) + " and " + searchDirs());
    }

    static List<Path> searchDirs() {
        List<Path> dirs = new ArrayList<>();
        String extra = System.getenv("JSWIFT_CUDA_LIBS");
        if (extra != null) for (String d : extra.split(":")) if (!d.isBlank()) dirs.add(Path.of(d));
        String home = System.getenv("CUDA_HOME");
        if (home != null) dirs.add(Path.of(home, "lib64"));
        dirs.add(Path.of("/usr/local/cuda/lib64"));
        return dirs;
    }

    /** A downcall to {@code name}, or null when the library lacks it. */
    MethodHandle function(String name, FunctionDescriptor descriptor) {
        return lookup.find(name).map(s -> Linker.nativeLinker().downcallHandle(s, descriptor)).orElse(null);
    }

    /** The first of {@code names} the library exports (versioned symbols such as cublasCreate_v2 first). */
    MethodHandle require(FunctionDescriptor descriptor, String... names) {
        for (String n : names) {
            MethodHandle h = function(n, descriptor);
            if (h != null) return h;
        }
        throw new IllegalStateException(file + " exports none of " + List.of(names));
    }

    static MemorySegment address(long raw) { return MemorySegment.ofAddress(raw); }
}
