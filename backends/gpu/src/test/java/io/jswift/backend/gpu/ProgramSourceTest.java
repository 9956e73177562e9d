package io.jswift.backend.gpu;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class ProgramSourceTest {
    @Test
    void definesComeBeforeThePreludeAndTheBodyAfterIt() {
        ProgramSource s = new ProgramSource("binary.cl",
                List.of(new ProgramSource.Define("HAS_FP64", "1"), new ProgramSource.Define("OP", "b_add")), "BODY");
        assertEquals("#define HAS_FP64 1\n#define OP b_add\nPRELUDE\nBODY", s.text("PRELUDE"));
    }

    @Test
    void keysDifferWhenAnyDefineDiffers() {
        ProgramSource a = new ProgramSource("x.cl", List.of(new ProgramSource.Define("A_T", "float")), "B");
        ProgramSource b = new ProgramSource("x.cl", List.of(new ProgramSource.Define("A_T", "u16")), "B");
        assertNotEquals(a.key(), b.key());
        assertEquals(a.key(), new ProgramSource("x.cl", List.of(new ProgramSource.Define("A_T", "float")), "B").key());
    }

    @Test
    void metaIsPaddedToTheStructSizeAndRefusesMore() {
        KernelArg.Meta m = KernelArg.Meta.of(3, 4, 5);
        assertEquals(Dialect.META_WORDS, m.words().length);
        assertEquals(5, m.words()[2]);
        assertEquals(0, m.words()[Dialect.META_WORDS - 1]);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> KernelArg.Meta.of(new long[Dialect.META_WORDS + 1]));
        assertTrue(e.getMessage().contains("exceeds"), e.getMessage());
    }

    @Test
    void commonHeaderDeclaresTheSameMetaSizeAsTheHost() throws Exception {
        try (var in = Dialect.class.getResourceAsStream("kernels/common.h")) {
            String text = new String(in.readAllBytes());
            assertTrue(text.contains("#define META_WORDS " + Dialect.META_WORDS + "\n"), "common.h and Dialect.META_WORDS disagree");
        }
    }
}
