package io.jswift.backend.cpu;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The CPU kernels give the same bits whichever JIT tier runs them: {@link TierProbe}'s digests from a JVM that
 * only interprets ({@code -Xint}, where the Vector API runs its Java fallbacks) equal those of this JVM after
 * warm-up (C2 intrinsics). Before VecMath, exp lanes (SVML under C2, Math.exp interpreted) and reduceLanes(ADD)
 * (a tree under C2, in order interpreted) differed in their last bits, so run-vs-run comparisons of training
 * depended on the machine's load.
 */
class TierIndependenceTest {
    @Test
    @Timeout(value = 170, unit = TimeUnit.SECONDS)
    void interpretedAndCompiledKernelsGiveTheSameBits() throws Exception {
        String java = ProcessHandle.current().info().command().orElseThrow();
        List<String> command = new ArrayList<>(List.of(java, "-Xint", "--add-modules", "jdk.incubator.vector", "-Djswift.threads=" + Parallel.threads()));
        // this JVM's -XX flags too: -XX:MaxVectorSize (the 128/256-bit runs of this module) sets the preferred vector width
        for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) if (arg.startsWith("-XX:")) command.add(arg);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), TierProbe.class.getName()));
        Process child = new ProcessBuilder(command).redirectErrorStream(false).start();
        CompletableFuture<String> stdout = CompletableFuture.supplyAsync(() -> read(child.getInputStream()));
        CompletableFuture<String> stderr = CompletableFuture.supplyAsync(() -> read(child.getErrorStream()));

        // warm up while the interpreted JVM works (at least 40 rounds, at most 300): the kernels' loops and VecMath
        // get C2-compiled here (on a machine with 2 busy cores VecMath.exp was after ~25 rounds, VecMath.sum after ~60)
        List<String> compiled = TierProbe.digests();
        for (int i = 1; i < 300 && (i < 40 || child.isAlive()); i++) compiled = TierProbe.digests();

        assertTrue(child.waitFor(150, TimeUnit.SECONDS), "the -Xint probe did not finish");
        assertEquals(0, child.exitValue(), "the -Xint probe failed:\n" + stderr.get());
        List<String> interpreted = stdout.get().lines().toList();
        List<String> differing = new ArrayList<>();
        for (int i = 0; i < compiled.size(); i++) {
            String want = compiled.get(i), got = i < interpreted.size() ? interpreted.get(i) : "(missing)";
            if (!want.equals(got)) differing.add(want.split(" ")[0]);
        }
        assertEquals(compiled.size(), interpreted.size(), "lines from the -Xint probe:\n" + String.join("\n", interpreted));
        assertEquals(List.of(), differing, "kernels whose -Xint bits differ from the warmed-up JVM's");
    }

    private static String read(java.io.InputStream in) {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
