package io.jswift.serve.engine;

import io.jswift.models.vision.VisionInput;
import io.jswift.models.vision.image.GridThw;
import io.jswift.tensor.Device;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The prefix-cache namespace of a prompt with images. Its image-pad tokens are the same ids whatever the image, so
 * blocks keyed by tokens alone would let a prompt reuse keys and values computed from another image; the content of
 * the images (every grid and pixel value, SHA-256) goes into the key instead, as vLLM hashes each image into its block
 * hashes (its mm_hash). Prompts with the same text and the same images share blocks; with other images, or with no
 * image, they never do.
 */
final class ImageKey {
    private ImageKey() {}

    /** A chain-hash seed for the prompts of {@code adapterNamespace} with these {@code images}. */
    static long namespace(long adapterNamespace, VisionInput images) {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
        ByteBuffer head = ByteBuffer.allocate(8 + 12 * images.grids().size()).order(ByteOrder.LITTLE_ENDIAN);
        head.putLong(adapterNamespace);
        for (GridThw g : images.grids()) head.putInt(g.t()).putInt(g.h()).putInt(g.w());
        sha.update(head.array());
        float[] pixels = images.pixelValues().to(Device.CPU).toFloatArray();
        ByteBuffer body = ByteBuffer.allocate(pixels.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        body.asFloatBuffer().put(pixels);
        sha.update(body.array());
        return ByteBuffer.wrap(sha.digest()).getLong();
    }
}
