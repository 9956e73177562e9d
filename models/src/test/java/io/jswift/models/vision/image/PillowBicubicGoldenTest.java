package io.jswift.models.vision.image;

import io.jswift.tensor.io.SafetensorsFile;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Resized pixels equal Pillow's {@code Image.resize(size, BICUBIC)} exactly (uint8 equality, no tolerance), for up-
 * and downscales, each axis alone and both, at the sizes smart_resize picks for three processor configs. The input is
 * PIL's own decoded image, so the decoder is not under test here.
 */
class PillowBicubicGoldenTest {
    @Test
    void resizedPixelsEqualPillowsExactly() throws Exception {
        SafetensorsFile f = ImageFixtures.expected();
        int checked = 0, resized = 0;
        for (String key : ImageFixtures.names(f, "resized.")) {
            String name = key.substring(key.indexOf('.') + 1);
            RgbImage source = ImageFixtures.rgb(f, "decoded." + name);
            RgbImage want = ImageFixtures.rgb(f, "resized." + key);
            RgbImage got = PillowBicubic.resize(source, want.width(), want.height());
            ImageFixtures.Diff d = ImageFixtures.diff(got, want);
            assertEquals(0, d.count(), key + " (" + source.width() + "x" + source.height() + " -> " + want.width() + "x"
                    + want.height() + "): " + d.count() + " samples differ, by up to " + d.max());
            checked++;
            if (want.width() != source.width() || want.height() != source.height()) resized++;
        }
        assertTrue(checked >= 15 && resized >= 12, checked + " goldens, " + resized + " of them resized");
    }

    @Test
    void sameSizeIsACopy() {
        RgbImage img = new RgbImage(2, 1, new byte[]{1, 2, 3, 4, 5, 6});
        RgbImage out = PillowBicubic.resize(img, 2, 1);
        assertArrayEquals(img.rgb(), out.rgb());
        assertNotSame(img.rgb(), out.rgb());
    }

    @Test
    void kernelIsKeysCubicWithAMinusHalf() {
        assertEquals(1.0, PillowBicubic.bicubic(0.0));
        assertEquals(0.0, PillowBicubic.bicubic(1.0), 0);
        assertEquals(0.5625, PillowBicubic.bicubic(0.5), 0); // (1.5 * 0.5 - 2.5) * 0.25 + 1
        assertEquals(-0.0625, PillowBicubic.bicubic(-1.5), 0); // ((1.5 - 5) * 1.5 + 8) * 1.5 - 4 = 0.125, times -0.5
        assertEquals(0.0, PillowBicubic.bicubic(2.0), 0);
    }

    /** Overshoot of the negative lobes at a hard edge is clipped to 0..255 (Pillow's clip8), not wrapped. */
    @Test
    void hardEdgesClipInsteadOfWrapping() {
        byte[] px = new byte[8 * 3];
        for (int x = 4; x < 8; x++) px[x * 3] = px[x * 3 + 1] = px[x * 3 + 2] = (byte) 255;
        RgbImage up = PillowBicubic.resize(new RgbImage(8, 1, px), 29, 1);
        int min = 255, max = 0;
        for (byte b : up.rgb()) {
            min = Math.min(min, b & 0xFF);
            max = Math.max(max, b & 0xFF);
        }
        assertEquals(0, min);
        assertEquals(255, max);
        assertEquals(0, up.sample(0, 0, 0));
        assertEquals(255, up.sample(28, 0, 0));
    }
}
