package io.jswift.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jswift.models.chat.ChatTemplate;
import io.jswift.models.tokenizer.Tokenizer;
import io.jswift.train.data.LocatedSample;
import io.jswift.train.data.RowParser;
import io.jswift.train.data.Sample;
import io.jswift.train.encode.ChatEncoder;
import io.jswift.train.encode.LossScale;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A conversation file as the token ids training sees for it: {@code sft} / {@code rlhf}'s encoding with the model's chat
 * template (the last reply up to and including its end-of-turn token), so a reward model is read where it was trained.
 */
final class ConversationIds {
    private ConversationIds() {}

    static int[] encode(Path modelDir, Path file) throws IOException {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(file.toFile());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException(file + ": not valid JSON: " + e.getOriginalMessage()
                    + (e.getLocation() != null ? " (line " + e.getLocation().getLineNr() + ")" : ""));
        }
        if (root != null && root.isArray()) {
            ObjectNode wrapped = new ObjectMapper().createObjectNode();
            wrapped.set("messages", root);
            root = wrapped;
        }
        if (root == null || !root.isObject() || !root.has("messages")) {
            throw new IllegalArgumentException(file + ": expected a JSON array of messages or an object with \"messages\"");
        }
        Sample sample;
        try {
            sample = RowParser.parse(root);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
        if (!(sample instanceof Sample.Chat)) throw new IllegalArgumentException(file + ": expected a plain conversation (messages only)");
        ChatEncoder encoder = new ChatEncoder(Tokenizer.fromDirectory(modelDir), ChatTemplate.fromDirectory(modelDir), LossScale.LAST_ROUND);
        return encoder.encode(new LocatedSample(file, 1, sample)).inputIds();
    }
}
