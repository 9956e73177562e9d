package io.jswift.models.load;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jswift.models.arch.Architectures;
import io.jswift.models.config.HfJsonWriter;
import io.jswift.models.decoder.DecoderClassifier;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The config.json of a saved {@link DecoderClassifier}: the decoder's config with what transformers' save_pretrained
 * of a {@code *ForSequenceClassification} adds — architectures [XForSequenceClassification], id2label / label2id
 * (LABEL_0, ...: how num_labels is saved) and the pad_token_id that finds each sequence's last token (TRL's
 * RewardTrainer sets it on the model config before training, so the saved reward model carries it).
 */
public final class ClassifierConfigJson {
    private ClassifierConfigJson() {}

    /** Rewrites {@code file} (a decoder's config.json, as copied from the base) for {@code model}. */
    public static void rewrite(Path file, DecoderClassifier model) throws IOException {
        JsonNode root = new ObjectMapper().readTree(file.toFile());
        if (!(root instanceof ObjectNode config)) throw new IOException(file + ": expected a JSON object");
        ArrayNode archs = config.arrayNode().add(Architectures.classifierName(model.decoder().config().architecture()));
        config.set("architectures", archs);
        ObjectNode id2label = config.objectNode(), label2id = config.objectNode();
        for (int i = 0; i < model.numLabels(); i++) {
            id2label.put(Integer.toString(i), "LABEL_" + i);
            label2id.put("LABEL_" + i, i);
        }
        config.set("id2label", id2label);
        config.set("label2id", label2id);
        config.remove("num_labels");
        if (model.padTokenId() != null) config.put("pad_token_id", model.padTokenId().intValue());
        HfJsonWriter.write(file, config);
    }
}
