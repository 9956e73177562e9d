package io.jswift.backend.cuda;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;

/**
 * What build-ptx.sh compiled into this jar ({@code ptx/manifest.properties}): the nvcc release, the PTX ISA it
 * wrote, the target ({@code compute_80}), the oldest driver that loads that PTX ({@code cuDriverGetVersion}'s
 * encoding: 13000 for CUDA 13.0) and the modules. Absent when the jar was built without nvcc.
 */
record PtxManifest(String nvcc, String ptxIsa, String arch, int minComputeCapability, int minDriverVersion,
                   List<String> modules) {
    static final String DIR = "ptx/";

    /** The manifest on the class path next to this class, or null when the build had no nvcc. */
    static PtxManifest load() {
        try (InputStream in = PtxManifest.class.getResourceAsStream(DIR + "manifest.properties")) {
            if (in == null) return null;
            Properties p = new Properties();
            p.load(in);
            return parse(p);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the CUDA PTX manifest", e);
        }
    }

    static PtxManifest parse(Properties p) {
        String modules = p.getProperty("modules", "").trim();
        return new PtxManifest(p.getProperty("nvcc"), p.getProperty("ptx.isa"), p.getProperty("arch"),
                Integer.parseInt(p.getProperty("min.compute.capability")), Integer.parseInt(p.getProperty("min.driver.version")),
                modules.isEmpty() ? List.of() : Arrays.asList(modules.split(" ")));
    }

    /** The PTX text of {@code module}, NUL-terminated as cuModuleLoadData wants it. */
    byte[] ptx(String module) {
        try (InputStream in = PtxManifest.class.getResourceAsStream(DIR + module + ".ptx")) {
            if (in == null) throw new IllegalStateException("CUDA module " + module + ".ptx is not in the jar (modules: " + modules + ")");
            byte[] text = in.readAllBytes();
            return Arrays.copyOf(text, text.length + 1);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + module + ".ptx", e);
        }
    }

    /** "CUDA 13.0" for 13000. */
    static String cudaVersion(int driverVersion) {
        return "CUDA " + driverVersion / 1000 + "." + driverVersion % 1000 / 10;
    }
}
