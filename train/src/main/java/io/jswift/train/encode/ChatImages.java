package io.jswift.train.encode;

import io.jswift.models.tokenizer.Tokenizer;
import io.jswift.models.vision.ImageMessages;
import io.jswift.models.vision.ImageReference;
import io.jswift.models.vision.Qwen2VlPrompts;
import io.jswift.models.vision.VisionInput;
import io.jswift.models.vision.image.GridThw;
import io.jswift.models.vision.image.Qwen2VlImageConfig;
import io.jswift.models.vision.image.Qwen2VlImageProcessor;
import io.jswift.models.vision.image.Qwen2VlPixels;
import io.jswift.models.vision.image.RgbImage;
import io.jswift.train.data.Message;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The images of an sft row for Qwen2-VL / Qwen2.5-VL, as ms-swift's qwen2_vl template encodes them: each {@code <image>}
 * tag of the messages (missing tags put first, {@link ImageMessages#withDefaultTags}) becomes
 * {@code <|vision_start|><|image_pad|><|vision_end|>} (its replace_tag) before the chat template renders the text; the
 * images are read and processed as Qwen2VLImageProcessor does; after tokenization each {@code <|image_pad|>} is repeated
 * to its image's token count (grid patches / merge²) with label -100 (image tokens are never targets).
 */
public final class ChatImages {
    /** What ms-swift's Qwen2-VL template writes for an image tag (and transformers' chat template for an image part). */
    static final String PLACEHOLDER = "<|vision_start|>" + Qwen2VlPrompts.IMAGE_PAD + "<|vision_end|>";

    private final Qwen2VlImageProcessor processor;
    private final int padId;

    public ChatImages(Qwen2VlImageProcessor processor, int padId) {
        this.processor = processor;
        this.padId = padId;
    }

    /** The image processor settings of a model directory; the pad id from its tokenizer. */
    public static ChatImages fromDirectory(Path dir, Tokenizer tokenizer) throws IOException {
        Integer pad = tokenizer.tokenToId(Qwen2VlPrompts.IMAGE_PAD);
        if (pad == null) throw new IllegalArgumentException(dir + ": the tokenizer has no " + Qwen2VlPrompts.IMAGE_PAD + " token");
        return new ChatImages(new Qwen2VlImageProcessor(Qwen2VlImageConfig.fromDirectory(dir)), pad);
    }

    /** The messages with one placeholder per image where its tag is (IllegalArgumentException: tags and images disagree). */
    List<Message> withPlaceholders(List<Message> messages, int images) {
        List<Map<String, Object>> maps = new ArrayList<>();
        for (Message m : messages) {
            Map<String, Object> map = new LinkedHashMap<>();
            map.put("role", m.role());
            map.put("content", m.content());
            maps.add(map);
        }
        List<Message> out = new ArrayList<>();
        for (Map<String, Object> m : ImageMessages.withDefaultTags(maps, images)) {
            out.add(new Message((String) m.get("role"), ((String) m.get("content")).replace(ImageMessages.TAG, PLACEHOLDER)));
        }
        return out;
    }

    /** Reads and processes the images (relative paths against {@code baseDir}). */
    VisionInput load(List<String> refs, Path baseDir) throws IOException {
        List<RgbImage> images = new ArrayList<>();
        for (String ref : refs) images.add(ImageReference.load(ref, baseDir));
        Qwen2VlPixels pixels = processor.preprocess(images);
        return VisionInput.of(pixels);
    }

    /** ids and labels with the i-th pad token repeated to grid i's token count, labels -100 there. */
    Encoded expand(int[] ids, int[] labels, VisionInput images) {
        List<GridThw> grids = images.grids();
        int merge = processor.config().patches().mergeSize();
        int pads = 0;
        for (int id : ids) if (id == padId) pads++;
        if (pads != grids.size()) {
            throw new IllegalArgumentException("the rendered conversation holds " + pads + " " + Qwen2VlPrompts.IMAGE_PAD + " tokens for "
                    + grids.size() + " images (does a message write " + Qwen2VlPrompts.IMAGE_PAD + " itself?)");
        }
        int length = ids.length;
        for (GridThw g : grids) length += g.patches() / (merge * merge) - 1;
        int[] outIds = new int[length], outLabels = new int[length];
        int at = 0, image = 0;
        for (int j = 0; j < ids.length; j++) {
            int copies = ids[j] == padId ? grids.get(image++).patches() / (merge * merge) : 1;
            for (int k = 0; k < copies; k++) {
                outIds[at] = ids[j];
                outLabels[at++] = ids[j] == padId ? Encoded.IGNORE : labels[j];
            }
        }
        return new Encoded(outIds, outLabels, null, null, images);
    }
}
