package io.jswift.backend.cuda;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The host's FlashParams words follow flash_params.cuh's struct field by field. */
class FlashParamsTest {
    @Test
    void fieldsMatchTheKernelStruct() throws Exception {
        String header = Files.readString(Path.of("src/main/cuda/flash_params.cuh"));
        String body = header.substring(header.indexOf("struct FlashParams {") + 20, header.indexOf("};"));
        List<String> fields = new ArrayList<>();
        Pattern decl = Pattern.compile("^(?:const\\s+)?(?:void|float|long long|double)\\s*\\*?\\s*([\\w\\s,]+)$");
        for (String line : body.split("\n")) {
            for (String part : line.replaceAll("//.*", "").split(";")) {
                if (part.isBlank()) continue;
                Matcher m = decl.matcher(part.trim());
                if (!m.matches()) throw new AssertionError("unexpected declaration in FlashParams: " + part.trim());
                for (String f : m.group(1).split(",")) fields.add(f.trim());
            }
        }
        assertEquals(FlashParams.FIELDS, fields);
    }

    @Test
    void wordsInOrder() {
        long[] w = new FlashParams().operand("dout", new FlashParams.Operand(0x1000, 7, 6, 5)).set("window", 4).scale(0.125).words();
        assertEquals(FlashParams.FIELDS.size(), w.length);
        assertEquals(0x1000, w[FlashParams.FIELDS.indexOf("dout")]);
        assertEquals(7, w[FlashParams.FIELDS.indexOf("do_sb")]);
        assertEquals(5, w[FlashParams.FIELDS.indexOf("do_st")]);
        assertEquals(4, w[FlashParams.FIELDS.indexOf("window")]);
        assertEquals(0.125, Double.longBitsToDouble(w[w.length - 1]));
        assertThrows(IllegalArgumentException.class, () -> new FlashParams().set("nope", 1));
    }
}
