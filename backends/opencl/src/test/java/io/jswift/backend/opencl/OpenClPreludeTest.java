package io.jswift.backend.opencl;

import io.jswift.backend.gpu.Dialect;
import org.junit.jupiter.api.Test;

import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** The OpenCL prelude defines every name of the kernel dialect's contract (DIALECT.md). */
class OpenClPreludeTest {
    @Test
    void definesEveryRequiredName() throws Exception {
        String prelude;
        try (var in = OpenClDriver.class.getResourceAsStream("prelude.h")) {
            prelude = new String(in.readAllBytes());
        }
        for (String name : Dialect.REQUIRED) {
            Pattern defined = Pattern.compile("(#define\\s+" + Pattern.quote(name) + "\\b)|(typedef\\s+\\w+\\s+" + Pattern.quote(name) + "\\s*;)");
            assertTrue(defined.matcher(prelude).find(), "prelude.h does not define " + name);
        }
    }
}
