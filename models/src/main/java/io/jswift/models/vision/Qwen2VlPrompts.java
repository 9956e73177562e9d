package io.jswift.models.vision;

import io.jswift.models.chat.ChatTemplate;
import io.jswift.models.tokenizer.Tokenizer;
import io.jswift.models.vision.image.GridThw;
import io.jswift.models.vision.image.Qwen2VlImageConfig;
import io.jswift.models.vision.image.Qwen2VlImageProcessor;
import io.jswift.models.vision.image.Qwen2VlPixels;
import io.jswift.models.vision.image.RgbImage;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A conversation with images as Qwen2VLProcessor turns it into model inputs: the chat template renders each image
 * part as {@code <|vision_start|><|image_pad|><|vision_end|>}; the images are processed (smart_resize, patches); the
 * i-th {@code <|image_pad|>} of the text becomes grid_i.patches / merge² copies; the text is tokenized without added
 * specials. Images are read where their parts point (see {@link ImageReference}).
 */
public final class Qwen2VlPrompts {
    /** Qwen2VLProcessor's image_token. */
    public static final String IMAGE_PAD = "<|image_pad|>";

    /** The rendered text (one pad per image, as apply_chat_template(tokenize=False)), the expanded ids, the images (null: none). */
    public record Encoded(String text, int[] ids, VisionInput images) {}

    private final Tokenizer tokenizer;
    private final ChatTemplate template;
    private final Qwen2VlImageProcessor processor;

    public Qwen2VlPrompts(Tokenizer tokenizer, ChatTemplate template, Qwen2VlImageProcessor processor) {
        this.tokenizer = tokenizer;
        this.template = template;
        this.processor = processor;
    }

    /** Tokenizer, chat template and image processor settings of a model (or processor) directory. */
    public static Qwen2VlPrompts fromDirectory(Path dir) throws IOException {
        return new Qwen2VlPrompts(Tokenizer.fromDirectory(dir), ChatTemplate.fromDirectory(dir),
                new Qwen2VlImageProcessor(Qwen2VlImageConfig.fromDirectory(dir)));
    }

    /** Renders, reads the images (relative paths against {@code baseDir}), expands and tokenizes. */
    public Encoded encode(List<Map<String, Object>> messages, boolean addGenerationPrompt, List<Map<String, Object>> tools, Path baseDir)
            throws IOException {
        String text = template.render(messages, addGenerationPrompt, tools, null);
        List<RgbImage> images = new ArrayList<>();
        for (String ref : ImageMessages.references(messages)) images.add(ImageReference.load(ref, baseDir));
        if (images.isEmpty()) {
            if (text.contains(IMAGE_PAD)) throw new IllegalArgumentException("the prompt holds " + IMAGE_PAD + " but the messages give no image");
            return new Encoded(text, tokenizer.encode(text, false), null);
        }
        Qwen2VlPixels pixels = processor.preprocess(images);
        return new Encoded(text, tokenizer.encode(expand(text, pixels.grids()), false), VisionInput.of(pixels));
    }

    /** The text with its i-th image pad repeated grid_i.patches / merge² times (Qwen2VLProcessor.replace_image_token). */
    String expand(String text, List<GridThw> grids) {
        int merge = processor.config().patches().mergeSize();
        StringBuilder out = new StringBuilder(text.length());
        int from = 0, i = 0;
        for (int at = text.indexOf(IMAGE_PAD); at >= 0; at = text.indexOf(IMAGE_PAD, from)) {
            if (i == grids.size()) break;
            out.append(text, from, at).append(IMAGE_PAD.repeat(grids.get(i++).patches() / (merge * merge)));
            from = at + IMAGE_PAD.length();
        }
        if (i != grids.size() || text.indexOf(IMAGE_PAD, from) >= 0) {
            int pads = 0;
            for (int at = text.indexOf(IMAGE_PAD); at >= 0; at = text.indexOf(IMAGE_PAD, at + 1)) pads++;
            throw new IllegalArgumentException("the chat template wrote " + pads + " " + IMAGE_PAD + " placeholders for " + grids.size()
                    + " images (does the model's chat template render image parts?)");
        }
        return out.append(text, from, text.length()).toString();
    }
}
