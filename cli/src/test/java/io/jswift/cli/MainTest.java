package io.jswift.cli;

import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MainTest {
    private static String[] runCapturingErr(int[] code, String... args) {
        StringWriter err = new StringWriter();
        code[0] = Main.run(new PrintWriter(err, true), args);
        return err.toString().lines().toArray(String[]::new);
    }

    @Test
    void envListsTheCpuBackend() {
        int[] code = new int[1];
        runCapturingErr(code, "env");
        assertEquals(0, code[0]);
    }

    @Test
    void unknownOptionIsAUsageErrorWithOneClearLine() {
        int[] code = new int[1];
        String[] err = runCapturingErr(code, "env", "--no_such_flag");
        assertEquals(ErrorReporter.EXIT_USAGE, code[0]);
        assertTrue(err[0].startsWith("env: error: ") && err[0].contains("--no_such_flag"), err[0]);
        assertTrue(err[1].contains("--help"), err[1]);
    }

    @Test
    void describeJoinsCausesWithoutRepeatingThem() {
        Exception e = new IllegalStateException("cannot load model", new java.io.IOException("config.json: missing key 'hidden_size'"));
        assertEquals("cannot load model: config.json: missing key 'hidden_size'", ErrorReporter.describe(e));
        assertEquals("NullPointerException", ErrorReporter.describe(new NullPointerException()));
    }

    @Test
    void outOfMemoryIsOneLineSayingHowToRaiseTheHeap() {
        StringWriter out = new StringWriter();
        int code = ErrorReporter.onOutOfMemory(new OutOfMemoryError("Java heap space"), new PrintWriter(out, true),
                "new-model", "--config", "c.json", "--output_dir", "m");
        assertEquals(ErrorReporter.EXIT_ERROR, code);
        String[] lines = out.toString().lines().toArray(String[]::new);
        assertEquals(1, lines.length, out.toString());
        assertTrue(lines[0].startsWith("new-model: error: out of memory (Java heap space; this JVM may use at most "), lines[0]);
        assertTrue(lines[0].contains("JSWIFT_JAVA_OPTS=-Xmx"), lines[0]);
        assertEquals("out of memory (Java heap space; this JVM may use at most 6.0 GiB of heap): raise the limit with "
                        + "JSWIFT_JAVA_OPTS=-Xmx<size>, e.g. JSWIFT_JAVA_OPTS=-Xmx16g, or use a smaller model, batch or --max_length",
                ErrorReporter.outOfMemoryMessage(new OutOfMemoryError("Java heap space"), 6L << 30));
    }
}
