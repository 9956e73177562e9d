package io.jswift.models.vision.image;

/** A decoder's result before EXIF orientation: the stored pixels and the raw EXIF block (null when the file has none). */
record DecodedImage(RgbImage pixels, byte[] exif) {}
