package io.jswift.tensor.quant;

import io.jswift.tensor.DType;
import io.jswift.tensor.Half;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.io.SafetensorsFile;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * bitsandbytes' 4-bit format bit for bit against tools/fixtures/bnb4bit_fixtures.py (a numpy re-implementation of
 * bnb's CUDA kernels and QuantState.as_dict): packed bytes, absmax, nested absmax, the JSON blob and dequantized
 * values on random weights, exact ties with every threshold, all-zero blocks, partial blocks and odd sizes.
 */
class Bnb4bitGoldenTest {
    private static final String[] CASES = {"randn", "nested", "ties", "zeros", "odd", "small", "single", "bf16", "outlier"};
    private static Map<String, Tensor> golden;

    @BeforeAll
    static void load() throws IOException {
        golden = SafetensorsFile.open(Path.of("src/test/resources/bnb4bit/format.safetensors")).tensors();
    }

    static List<Object[]> variants() {
        List<Object[]> out = new ArrayList<>();
        for (String c : CASES) for (FourBitType t : FourBitType.values()) for (boolean dq : new boolean[]{false, true}) out.add(new Object[]{c, t, dq});
        return out;
    }

    /** The published NF4 table (QLoRA, Dettmers et al. 2023, appendix E) and bnb's FP4 table divided by 12. */
    @Test
    void codeTablesEqualPublishedValues() {
        double[] nf4 = {-1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453, -0.28444138169288635,
                -0.18477343022823334, -0.09105003625154495, 0.0, 0.07958029955625534, 0.16093020141124725, 0.24611230194568634,
                0.33791524171829224, 0.44070982933044434, 0.5626170039176941, 0.7229568362236023, 1.0};
        for (int i = 0; i < 16; i++) assertEquals((float) nf4[i], FourBitType.NF4.value(i), "nf4 " + i);
        assertArrayEquals(golden.get("code.nf4").toFloatArray(), FourBitType.NF4.quantMap());
        assertArrayEquals(golden.get("code.fp4").toFloatArray(), FourBitType.FP4.quantMap());
        assertArrayEquals(golden.get("lut.fp4").toFloatArray(), Arrays.copyOf(FourBitType.FP4.table(), 8));
        // the kernels' FP4 lookup literals equal get_4bit_type's float32 quotients; the map's nibble 8 is +0, the kernel's -0
        float[] map = FourBitType.FP4.quantMap(), lut = FourBitType.FP4.table();
        for (int i = 0; i < 16; i++) {
            assertEquals(Float.floatToRawIntBits(i == 8 ? -map[i] : map[i]), Float.floatToRawIntBits(lut[i]), "fp4 " + i);
        }
    }

    @Test
    void dynamicMapEqualsTorch() {
        assertArrayEquals(golden.get("dynamic_map").toFloatArray(), DynamicMap.create());
    }

    @ParameterizedTest(name = "{0} {1} double_quant={2}")
    @MethodSource("variants")
    void quantizeAndDequantizeEqualReference(String name, FourBitType type, boolean doubleQuant) {
        Tensor input = golden.get(name + ".input");
        String p = name + "." + type.jsonName() + "." + (doubleQuant ? "dq" : "plain") + ".";
        QuantState4bit.Quantized q = QuantState4bit.quantize(input.toFloatArray(), input.shape(), input.dtype(), type, doubleQuant);
        Map<String, Tensor> mine = QuantStateTensors.toTensors("weight", q);
        List<String> expectedKeys = new ArrayList<>();
        for (String k : golden.keySet()) if (k.startsWith(p + "weight")) expectedKeys.add(k.substring(p.length()));
        assertEquals(expectedKeys.stream().sorted().toList(), mine.keySet().stream().sorted().toList());
        for (var e : mine.entrySet()) {
            Tensor want = golden.get(p + e.getKey()), got = e.getValue();
            assertEquals(want.dtype(), got.dtype(), e.getKey());
            assertArrayEquals(want.shape(), got.shape(), e.getKey());
            if (want.dtype() == DType.U8) {
                assertArrayEquals(QuantStateTensors.toBytes(want), QuantStateTensors.toBytes(got), e.getKey());
            } else {
                assertBitsEqual(want.toFloatArray(), got.toFloatArray(), e.getKey());
            }
        }
        // dequantize from the golden tensors, as a loader does (the backend op is checked against this in nn's Linear4bitTest)
        QuantStateTensors.Loaded loaded = QuantStateTensors.read("weight", prefixed(p), "format.safetensors");
        float[] want = golden.get(p + "dequant").toFloatArray();
        assertBitsEqual(want, loaded.state().dequantize(QuantStateTensors.toBytes(loaded.packed())), p + "dequant ");
        if (input.dtype() == DType.BF16) { // the bf16 rounding of the same values
            float[] bf = golden.get(p + "dequant_bfloat16").toFloatArray();
            float[] rounded = new float[want.length];
            for (int i = 0; i < want.length; i++) rounded[i] = Half.bf16ToFloat(Half.floatToBf16(want[i]));
            assertBitsEqual(bf, rounded, p + "dequant bf16");
        }
    }

    @Test
    void jsonBlobIsPythonsSpelling() {
        Tensor blob = golden.get("nested.nf4.dq.weight.quant_state.bitsandbytes__nf4");
        String text = new String(QuantStateTensors.toBytes(blob), StandardCharsets.UTF_8);
        assertEquals(text, QuantStateTensors.stateJson(QuantStateTensors.read("weight", prefixed("nested.nf4.dq."), null).state()));
        assertEquals("1e-05", PyJson.floatRepr(1e-5));
        assertEquals("0.0001", PyJson.floatRepr(1e-4));
        assertEquals("2.0", PyJson.floatRepr(2));
        assertEquals("1e+16", PyJson.floatRepr(1e16));
        assertEquals("1234567890123456.0", PyJson.floatRepr(1234567890123456.0));
        assertEquals("-1.5e-07", PyJson.floatRepr(-1.5e-7));
        assertEquals("0.10000000149011612", PyJson.floatRepr(0.1f));
    }

    private static Map<String, Tensor> prefixed(String p) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        golden.forEach((k, v) -> { if (k.startsWith(p)) out.put(k.substring(p.length()), v); });
        return out;
    }

    private static void assertBitsEqual(float[] want, float[] got, String what) {
        assertEquals(want.length, got.length, what + " length");
        for (int i = 0; i < want.length; i++) {
            if (Float.floatToRawIntBits(want[i]) != Float.floatToRawIntBits(got[i])) {
                throw new AssertionError(what + "[" + i + "]: expected " + want[i] + " got " + got[i]);
            }
        }
    }
}
