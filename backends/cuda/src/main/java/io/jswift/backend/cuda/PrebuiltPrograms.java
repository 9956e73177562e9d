package io.jswift.backend.cuda;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * Portable programs compiled by nvcc at build time: {@code ptx/programs/<key>.ptx}, where the key is the SHA-256
 * of the complete program text (defines, CUDA prelude, body) that {@link CudaDriver#compile} would otherwise hand
 * to NVRTC. build-ptx.sh compiles every {@code <key>.cu} found in {@code target/cuda-programs}, which
 * the build writes from backends/gpu's list of programs; equal text, equal key, so a prebuilt program
 * is found exactly when its source has not changed since the build.
 */
final class PrebuiltPrograms {
    static final String DIR = "ptx/programs/";

    private PrebuiltPrograms() {}

    static String key(String text) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d, 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The NUL-terminated PTX built for {@code text}, or null when the build did not prebuild it. */
    static byte[] ptx(String text) {
        try (InputStream in = PrebuiltPrograms.class.getResourceAsStream(PtxManifest.DIR + "programs/" + key(text) + ".ptx")) {
            if (in == null) return null;
            byte[] b = in.readAllBytes();
            return Arrays.copyOf(b, b.length + 1);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
