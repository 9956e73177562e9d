package io.jswift.models.vision.image;

/**
 * A decoder's result before orientation: the stored pixels and where Pillow's {@code getexif()} would look for an
 * orientation.
 *
 * @param exif the raw EXIF block (TIFF structure, optionally behind "Exif\0\0"), or null
 * @param xmp  the XMP packet, or null
 */
record DecodedImage(RgbImage pixels, byte[] exif, byte[] xmp) {
    /** Pillow's rule: the EXIF orientation tag when the EXIF has one (whatever its value), else XMP's tiff:Orientation. */
    int orientation() {
        int o = ExifOrientation.read(exif);
        return o != ExifOrientation.ABSENT ? o : ExifOrientation.fromXmp(xmp);
    }
}
