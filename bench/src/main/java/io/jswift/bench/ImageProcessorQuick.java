package io.jswift.bench;

import io.jswift.models.vision.image.ImageLoader;
import io.jswift.models.vision.image.Qwen2VlImageConfig;
import io.jswift.models.vision.image.Qwen2VlImageProcessor;
import io.jswift.models.vision.image.Qwen2VlPixels;
import io.jswift.models.vision.image.RgbImage;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Images per second through decode + Qwen2VLImageProcessor (smart_resize, Pillow bicubic, normalize, patchify), one
 * thread, Qwen2-VL's default processor settings (or a model directory's): a 448x448 image (no resize: 16 x 28) and a
 * 1280x960 one (above max_pixels 1003520: downscaled to 1148x840), each as PNG and as JPEG, synthetic photo-like content:
 * {@code java -cp bench/target/benchmarks.jar io.jswift.bench.ImageProcessorQuick [MODEL_DIR]}.
 * The same images for transformers: {@code --write DIR} saves them as files, then
 * {@code /tmp/hf/bin/python bench/peers/qwen2vl_image_processor.py DIR [MODEL_DIR]} times load_image + the PIL processor.
 */
public final class ImageProcessorQuick {
    public static void main(String[] args) throws Exception {
        Qwen2VlImageConfig config = Qwen2VlImageConfig.defaults();
        Path writeTo = null;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--write")) writeTo = Path.of(args[++i]);
            else config = Qwen2VlImageConfig.fromDirectory(Path.of(args[i]));
        }
        Qwen2VlImageProcessor processor = new Qwen2VlImageProcessor(config);
        for (int[] size : new int[][]{{448, 448}, {1280, 960}}) {
            BufferedImage img = synthetic(size[0], size[1]);
            for (String format : new String[]{"png", "jpg"}) {
                byte[] file = encode(img, format);
                String name = size[0] + "x" + size[1] + "." + format;
                if (writeTo != null) Files.write(Files.createDirectories(writeTo).resolve(name), file);
                Qwen2VlPixels out = processor.preprocess(List.of(ImageLoader.decode(file, name)));
                double decodeOnly = perSecond(() -> ImageLoader.decode(file, name));
                double total = perSecond(() -> processor.preprocess(List.of(ImageLoader.decode(file, name))));
                RgbImage decoded = ImageLoader.decode(file, name);
                double processOnly = perSecond(() -> processor.preprocess(List.of(decoded)));
                System.out.printf("%-13s %6d bytes -> grid %s, pixel_values [%d, %d]: decode+process %6.1f images/s"
                                + " (decode %6.1f/s, process %6.1f/s)%n", name, file.length, out.grids().getFirst(),
                        out.rows(), out.patchDim(), total, decodeOnly, processOnly);
            }
        }
    }

    interface Work { void run() throws Exception; }

    /** Runs {@code work} for 2 s to warm up, then counts runs for 3 s. */
    private static double perSecond(Work work) throws Exception {
        for (long end = System.nanoTime() + 2_000_000_000L; System.nanoTime() < end; ) work.run();
        long runs = 0, t0 = System.nanoTime(), end = t0 + 3_000_000_000L;
        while (System.nanoTime() < end) {
            work.run();
            runs++;
        }
        return runs / ((System.nanoTime() - t0) / 1e9);
    }

    /** Smooth colour gradients with seeded noise: compresses and resizes like a photo, not like flat colour. */
    private static BufferedImage synthetic(int w, int h) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_3BYTE_BGR);
        SplittableRandom rng = new SplittableRandom(25);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                int r = clamp(128 + 100 * Math.sin(x * 0.013 + y * 0.007) + rng.nextInt(-12, 13));
                int g = clamp(128 + 90 * Math.cos(x * 0.005 - y * 0.011) + rng.nextInt(-12, 13));
                int b = clamp(128 + 80 * Math.sin((x + y) * 0.009) + rng.nextInt(-12, 13));
                img.getRaster().setPixel(x, y, new int[]{r, g, b});
            }
        return img;
    }

    private static int clamp(double v) { return (int) Math.max(0, Math.min(255, Math.round(v))); }

    private static byte[] encode(BufferedImage img, String format) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        if (!ImageIO.write(img, format.equals("jpg") ? "jpeg" : format, out)) throw new IOException("no ImageIO writer for " + format);
        return out.toByteArray();
    }
}
