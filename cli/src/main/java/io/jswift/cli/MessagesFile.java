package io.jswift.cli;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jswift.models.vision.ImageMessages;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A {@code --messages} JSON file: an array of {role, content} messages, or an object with "messages" and optionally
 * "tools" and ms-swift's "images" column; {@code --images} given on the command line (paths relative to the working
 * directory) follow the file's own images (relative to the file). Contents may be strings (with ms-swift's
 * {@code <image>} tags) or OpenAI-style part lists.
 */
record MessagesFile(List<Map<String, Object>> messages, List<Map<String, Object>> tools, List<String> images, Path file) {
    private static final ObjectMapper JSON = new ObjectMapper();

    static MessagesFile read(Path file, List<String> extraImages) throws IOException {
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException(file + ": not valid JSON: " + e.getOriginalMessage()
                    + (e.getLocation() != null ? " (line " + e.getLocation().getLineNr() + ")" : ""));
        }
        JsonNode list = root != null && root.isObject() ? root.get("messages") : root;
        if (list == null || !list.isArray()) {
            throw new IllegalArgumentException(file + ": expected a JSON array of messages or an object with \"messages\"");
        }
        JsonNode toolNode = root.isObject() ? root.get("tools") : null;
        List<Map<String, Object>> tools = toolNode == null || toolNode.isNull() ? null : JSON.convertValue(toolNode, new TypeReference<>() {});
        List<String> images = new ArrayList<>();
        JsonNode imageNode = root.isObject() ? root.get("images") : null;
        if (imageNode != null && !imageNode.isNull()) {
            if (!imageNode.isArray()) throw new IllegalArgumentException(file + ": \"images\" must be a list of image paths");
            for (JsonNode n : imageNode) {
                if (!n.isTextual()) throw new IllegalArgumentException(file + ": \"images\" must be a list of image paths, got " + n);
                images.add(n.asText());
            }
        }
        if (extraImages != null) for (String p : extraImages) images.add(Path.of(p).toAbsolutePath().toString());
        return new MessagesFile(JSON.convertValue(list, new TypeReference<>() {}), tools, images, file);
    }

    /** The directory relative image paths of the file resolve against. */
    Path baseDir() { return file.toAbsolutePath().getParent(); }

    /** Whether any image is given, as a part or in the images list. */
    boolean hasImages() { return !images.isEmpty() || !ImageMessages.references(messages).isEmpty(); }

    /** The messages with the listed images placed at their {@code <image>} tags (ms-swift's convention). */
    List<Map<String, Object>> withImages() {
        try {
            return images.isEmpty() ? messages : ImageMessages.withTaggedImages(messages, images);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
    }
}
