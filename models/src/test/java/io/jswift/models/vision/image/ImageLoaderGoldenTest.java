package io.jswift.models.vision.image;

import com.fasterxml.jackson.databind.JsonNode;
import io.jswift.tensor.io.SafetensorsFile;
import org.junit.jupiter.api.Test;

import java.security.MessageDigest;
import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Decoded pixels equal what transformers' load_image (PIL open, exif_transpose, convert("RGB")) returns. */
class ImageLoaderGoldenTest {
    @Test
    void everyPngDecodesExactlyAsPil() throws Exception {
        SafetensorsFile f = ImageFixtures.expected();
        int checked = 0;
        for (String name : ImageFixtures.names(f, "decoded.")) {
            if (!name.endsWith(".png")) continue;
            RgbImage got = ImageLoader.read(ImageFixtures.image(name));
            ImageFixtures.Diff d = ImageFixtures.diff(got, ImageFixtures.rgb(f, "decoded." + name));
            assertEquals(0, d.count(), name + ": " + d.count() + " samples differ, by up to " + d.max());
            checked++;
        }
        assertTrue(checked >= 33, "checked " + checked + " PNGs"); // every colour type and depth, Adam7, orientation sources
    }

    /**
     * JPEG: the JDK's libjpeg 6b and Pillow's libjpeg-turbo share the integer IDCT and fancy upsampling, and the colour
     * conversion is libjpeg's own tables, so baseline 4:4:4 / 4:2:2 / 4:2:0, progressive, greyscale, ICC-tagged and
     * Adobe-RGB files come out identical on these fixtures: the tolerance is exact. (A libjpeg 9 or a "fast" IDCT
     * would differ by a level or two: this test would say so.)
     */
    @Test
    void everyJpegDecodesAsPil() throws Exception {
        SafetensorsFile f = ImageFixtures.expected();
        int checked = 0;
        for (String name : ImageFixtures.names(f, "decoded.")) {
            if (!name.endsWith(".jpg")) continue;
            RgbImage got = ImageLoader.read(ImageFixtures.image(name));
            ImageFixtures.Diff d = ImageFixtures.diff(got, ImageFixtures.rgb(f, "decoded." + name));
            assertEquals(0, d.max(), name + ": " + d.count() + " samples differ, by up to " + d.max());
            checked++;
        }
        assertEquals(10, checked);
    }

    /** Larger odd-sized JPEGs (many partial MCUs), compared through a SHA-256 of PIL's decoded pixels to keep the fixture small. */
    @Test
    void largerJpegsHashAsPil() throws Exception {
        JsonNode hashes = ImageFixtures.metadata(ImageFixtures.expected(), "decoded_sha256");
        assertEquals(2, hashes.size());
        for (var e : hashes.properties()) {
            byte[] rgb = ImageLoader.read(ImageFixtures.image(e.getKey())).rgb();
            assertEquals(e.getValue().asText(), HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(rgb)), e.getKey());
        }
    }

    /** Pillow's getexif() order: EXIF (eXIf, else a "Raw profile type exif" text), and XMP only when EXIF has no tag. */
    @Test
    void orientationSourcesFollowPillow() throws Exception {
        assertEquals(12, ImageLoader.read(ImageFixtures.image("raw_profile_exif3.png")).width());  // 180 degrees
        assertEquals(7, ImageLoader.read(ImageFixtures.image("xmp_orientation6.png")).width());
        assertEquals(7, ImageLoader.read(ImageFixtures.image("exif_without_orientation_xmp8.png")).width());
        assertEquals(12, ImageLoader.read(ImageFixtures.image("exif1_xmp8.png")).width());       // EXIF's 1 wins
        assertEquals(24, ImageLoader.read(ImageFixtures.image("xmp_rotated8.jpg")).width());
    }

    @Test
    void bigEndianExifAndLongValuesAreRead() {
        // "MM" TIFF header, IFD0 at 8 with one entry: tag 0x0112, type SHORT, count 1, value 6
        byte[] mm = {'M', 'M', 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0};
        assertEquals(6, ExifOrientation.read(mm));
        // "II", type LONG, value 8
        byte[] ii = {'I', 'I', 42, 0, 8, 0, 0, 0, 1, 0, 0x12, 0x01, 4, 0, 1, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0};
        assertEquals(8, ExifOrientation.read(ii));
        assertEquals(ExifOrientation.ABSENT, ExifOrientation.read(new byte[]{'I', 'I', 42, 0, 99, 0, 0, 0}));
        assertEquals(ExifOrientation.ABSENT, ExifOrientation.read(null));
    }

    @Test
    void exifOrientationSixTurnsTheJpegUpright() throws Exception {
        RgbImage img = ImageLoader.read(ImageFixtures.image("exif_rotated6.jpg"));
        assertEquals(24, img.width()); // stored 40 wide, 24 high; orientation 6 = rotate 90 degrees clockwise
        assertEquals(40, img.height());
    }
}
