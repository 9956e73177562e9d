package io.jswift.models.vision.image;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Undecodable files fail with an ImageFormatException naming the file and the reason, never a bare stack trace. */
class ImageLoaderErrorsTest {
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "bad_truncated.png    | PNG file is truncated",
            "bad_truncated.jpg    | JPEG file is truncated",
            "bad_cmyk.jpg         | CMYK",
            "bad_not_an_image.png | not a PNG or JPEG image",
            "bad_format.gif       | it is a GIF"})
    void badFilesAreNamedWithTheReason(String name, String reason) {
        Path path = ImageFixtures.image(name);
        var e = assertThrows(ImageFormatException.class, () -> ImageLoader.read(path));
        assertTrue(e.getMessage().startsWith(path.toString()) && e.getMessage().contains(reason), e.getMessage());
    }

    @Test
    void missingFileIsNamed(@TempDir Path dir) {
        Path path = dir.resolve("nope.png");
        var e = assertThrows(NoSuchFileException.class, () -> ImageLoader.read(path));
        assertTrue(e.getMessage().contains(path.toString()), e.getMessage());
    }

    @Test
    void corruptPngCrcIsRefused(@TempDir Path dir) throws Exception {
        byte[] png = Files.readAllBytes(ImageFixtures.image("gray8.png"));
        png[40] ^= 0x55; // inside the first IDAT
        Path path = dir.resolve("crc.png");
        Files.write(path, png);
        var e = assertThrows(ImageFormatException.class, () -> ImageLoader.read(path));
        assertTrue(e.getMessage().contains("bad CRC"), e.getMessage());
    }

    @Test
    void everyTruncationOfAJpegFailsCleanly() throws Exception {
        byte[] jpg = Files.readAllBytes(ImageFixtures.image("baseline444.jpg"));
        for (int cut = 3; cut < jpg.length - 2; cut += 97) {
            byte[] part = Arrays.copyOf(jpg, cut);
            assertThrows(ImageFormatException.class, () -> ImageLoader.decode(part, "cut.jpg"), "cut at " + cut);
        }
    }

    /** libjpeg warns about stray bytes between marker segments and decodes on; Pillow ignores the warning, so do we. */
    @Test
    void extraneousBytesBeforeAMarkerAreTolerated() throws Exception {
        byte[] jpg = Files.readAllBytes(ImageFixtures.image("baseline444.jpg"));
        int sos = 2;
        while (!((jpg[sos] & 0xFF) == 0xFF && (jpg[sos + 1] & 0xFF) == 0xDA)) sos++;
        byte[] padded = new byte[jpg.length + 3];
        System.arraycopy(jpg, 0, padded, 0, sos);
        padded[sos] = 0x12;
        padded[sos + 1] = 0x34;
        padded[sos + 2] = 0x56;
        System.arraycopy(jpg, sos, padded, sos + 3, jpg.length - sos);
        assertArrayEquals(ImageLoader.decode(jpg, "a.jpg").rgb(), ImageLoader.decode(padded, "b.jpg").rgb());
    }

    /** A header announcing a huge image is refused before any pixel memory is allocated (Pillow: DecompressionBombError). */
    @Test
    void decompressionBombsAreRefused() throws Exception {
        byte[] jpg = Files.readAllBytes(ImageFixtures.image("baseline444.jpg"));
        int sof = 2;
        while (!((jpg[sof] & 0xFF) == 0xFF && (jpg[sof + 1] & 0xFF) == 0xC0)) sof++;
        jpg[sof + 5] = jpg[sof + 7] = (byte) 0xFF; // height and width 65535 (high bytes)
        var e = assertThrows(ImageFormatException.class, () -> ImageLoader.decode(jpg, "bomb.jpg"));
        assertTrue(e.getMessage().contains("larger than"), e.getMessage());
    }

    @Test
    void everyTruncationOfAPngFailsCleanly() throws Exception {
        byte[] png = Files.readAllBytes(ImageFixtures.image("rgb8_interlaced.png"));
        for (int cut = 0; cut < png.length - 12; cut += 61) {
            byte[] part = Arrays.copyOf(png, cut);
            assertThrows(ImageFormatException.class, () -> ImageLoader.decode(part, "cut.png"), "cut at " + cut);
        }
    }
}
