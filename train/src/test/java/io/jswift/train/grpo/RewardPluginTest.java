package io.jswift.train.grpo;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A reward plugin compiled and jarred by the test, loaded through --external_plugins (ServiceLoader). */
class RewardPluginTest {
    static final String SOURCE = """
            package my.rewards;
            import io.jswift.train.grpo.RewardFunction;
            import java.util.List;
            public class SolutionLength implements RewardFunction {
                public String name() { return "solution_length"; }
                public double[] score(List<Sample> completions) {
                    double[] out = new double[completions.size()];
                    for (int i = 0; i < out.length; i++) {
                        Sample s = completions.get(i);
                        out[i] = s.completion().contains(s.text("solution", name())) ? s.completionIds().length : -1;
                    }
                    return out;
                }
            }
            """;

    static Path pluginJar(Path dir, boolean withService) throws Exception {
        Path src = dir.resolve("src/my/rewards/SolutionLength.java"), classes = dir.resolve("classes");
        Files.createDirectories(src.getParent());
        Files.createDirectories(classes);
        Files.writeString(src, SOURCE);
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        int rc = javac.run(null, null, null, "-cp", System.getProperty("java.class.path"), "-d", classes.toString(), src.toString());
        assertEquals(0, rc, "plugin compiles");
        Path jar = dir.resolve("my-rewards.jar");
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
            out.putNextEntry(new JarEntry("my/rewards/SolutionLength.class"));
            out.write(Files.readAllBytes(classes.resolve("my/rewards/SolutionLength.class")));
            if (withService) {
                out.putNextEntry(new JarEntry("META-INF/services/io.jswift.train.grpo.RewardFunction"));
                out.write("my.rewards.SolutionLength\n".getBytes());
            }
        }
        return jar;
    }

    @Test
    void aPluginJarIsLoadedByNameAndSeesTheDatasetColumns(@TempDir Path dir) throws Exception {
        Path jar = pluginJar(dir, true);
        RewardArgs args = new RewardArgs(List.of("format", "solution_length"), List.of(1.0, 0.5), List.of(jar), -0.5, 0, 1, 0.5, null, 3, -1, null, null);
        RewardFunctions rf = RewardFunctions.load(args, 16, getClass().getClassLoader());
        assertEquals(List.of("format", "solution_length"), rf.names());
        var samples = List.of(
                new RewardFunction.Sample(List.of(), "it is 42", new int[7], Map.of("solution", "42")),
                new RewardFunction.Sample(List.of(), "it is 41", new int[7], Map.of("solution", "42")));
        double[][] per = rf.score(samples);
        assertArrayEquals(new double[]{7, -1}, per[1]);
        assertArrayEquals(new double[]{3.5, -0.5}, rf.combine(per));
    }

    @Test
    void aJarWithoutTheServiceEntryIsNamedInTheError(@TempDir Path dir) throws Exception {
        Path jar = pluginJar(dir, false);
        var e = assertThrows(IllegalArgumentException.class,
                () -> RewardFunctions.load(new RewardArgs(List.of("solution_length"), null, List.of(jar), 0, 0, 0, 0, null, 3, -1, null, null), 16, getClass().getClassLoader()));
        assertTrue(e.getMessage().contains("META-INF/services/io.jswift.train.grpo.RewardFunction"), e.getMessage());
        var missing = assertThrows(IllegalArgumentException.class,
                () -> RewardFunctions.load(new RewardArgs(List.of("x"), null, List.of(dir.resolve("none.jar")), 0, 0, 0, 0, null, 3, -1, null, null), 16, null));
        assertTrue(missing.getMessage().contains("none.jar: no such file"), missing.getMessage());
    }
}
