package io.jswift.models.vision;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The images of a conversation, in the two ways users write them: OpenAI-style content parts
 * ({@code {"type": "image", "image": PATH}}, {@code {"type": "image_url", "image_url": {"url": URL}}}, transformers'
 * {@code {"type": "image", "url" | "path": ...}}), or ms-swift's {@code <image>} tags in string contents with the
 * images listed apart. Tags become parts, so one chat template renders both.
 */
public final class ImageMessages {
    public static final String TAG = "<image>";

    private ImageMessages() {}

    /**
     * ms-swift's convention (Template._add_default_tags, replace_tag): each {@code <image>} tag of the messages, in order,
     * stands for the next of {@code images}; when there are fewer tags than images, the missing tags are put at the start
     * of the first non-system message; more tags than images is an error. The messages come back with every tagged string
     * content split into text and image parts.
     */
    public static List<Map<String, Object>> withTaggedImages(List<Map<String, Object>> messages, List<String> images) {
        List<Map<String, Object>> out = new ArrayList<>();
        int next = 0;
        for (Map<String, Object> m : withDefaultTags(messages, images.size())) {
            Map<String, Object> copy = new LinkedHashMap<>(m);
            if (copy.get("content") instanceof String s && s.contains(TAG)) {
                List<Map<String, Object>> parts = new ArrayList<>();
                int from = 0;
                for (int at = s.indexOf(TAG); at >= 0; at = s.indexOf(TAG, from)) {
                    if (at > from) parts.add(Map.of("type", "text", "text", s.substring(from, at)));
                    parts.add(Map.of("type", "image", "image", images.get(next++)));
                    from = at + TAG.length();
                }
                if (from < s.length()) parts.add(Map.of("type", "text", "text", s.substring(from)));
                copy.put("content", parts);
            }
            out.add(copy);
        }
        return out;
    }

    /**
     * The messages with one {@code <image>} tag per image: as written when the tags and images are as many; missing tags
     * put at the start of the first non-system message (ms-swift's Template._add_default_tags); more tags than images fails.
     */
    public static List<Map<String, Object>> withDefaultTags(List<Map<String, Object>> messages, int images) {
        int tags = 0;
        for (Map<String, Object> m : messages) if (m.get("content") instanceof String s) tags += count(s);
        if (tags > images) throw new IllegalArgumentException("the messages hold " + tags + " " + TAG + " tags but " + images + " images are given");
        List<Map<String, Object>> out = new ArrayList<>();
        int missing = images - tags;
        for (Map<String, Object> m : messages) {
            Map<String, Object> copy = new LinkedHashMap<>(m);
            if (missing > 0 && !"system".equals(m.get("role"))) {
                Object content = m.get("content");
                copy.put("content", TAG.repeat(missing) + (content == null ? "" : content));
                missing = 0;
            }
            out.add(copy);
        }
        if (missing > 0) throw new IllegalArgumentException(images + " images are given but there is no message to put them in");
        return out;
    }

    private static int count(String s) {
        int n = 0;
        for (int at = s.indexOf(TAG); at >= 0; at = s.indexOf(TAG, at + TAG.length())) n++;
        return n;
    }

    /** The image of every image part, in order: a path or URL (see {@link ImageReference}). */
    public static List<String> references(List<Map<String, Object>> messages) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < messages.size(); i++) {
            if (!(messages.get(i).get("content") instanceof List<?> parts)) continue;
            for (Object p : parts) {
                if (!(p instanceof Map<?, ?> part)) continue;
                // the chat template's own test: an image part is type image, or has an image / image_url key
                boolean image = "image".equals(part.get("type")) || part.containsKey("image") || part.containsKey("image_url");
                if (!image) continue;
                Object ref = part.get("image");
                if (ref == null && part.get("image_url") instanceof Map<?, ?> url) ref = url.get("url");
                if (ref == null && part.get("image_url") instanceof String url) ref = url;
                if (ref == null) ref = part.get("url") != null ? part.get("url") : part.get("path");
                if (!(ref instanceof String s)) {
                    throw new IllegalArgumentException("message " + i + ": an image part must name its image (\"image\": PATH, "
                            + "\"image_url\": {\"url\": URL}), got " + part);
                }
                out.add(s);
            }
        }
        return out;
    }
}
