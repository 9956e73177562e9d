package io.jswift.train.data;

import java.util.List;

/** A dataset row after format detection, independent of the file format it came from. */
public sealed interface Sample {
    /** Plain text for pretraining: loss on every token. */
    record Text(String text) implements Sample {}

    /** Already tokenized; labels may be null (= input ids), -100 marks ignored positions. */
    record Tokenized(int[] inputIds, int[] labels) implements Sample {}

    /**
     * A conversation; by default the loss covers the assistant turns. {@code tag} is the row's optional "tag"
     * (ms-swift's self-cognition rows say "zh" or "en"; it picks the --model_name / --model_author spelling), or null.
     * {@code images}: ms-swift's "images" column, paths or URLs as written (relative paths are against the dataset
     * file's directory), each standing for one {@code <image>} tag of the messages.
     */
    record Chat(List<Message> messages, String tag, List<String> images) implements Sample {
        public Chat {
            images = images == null ? List.of() : List.copyOf(images);
        }

        public Chat(List<Message> messages) {
            this(messages, null);
        }

        public Chat(List<Message> messages, String tag) {
            this(messages, tag, List.of());
        }
    }

    /** A preference pair: the shared prompt turns, then the chosen and rejected assistant replies. */
    record Preference(List<Message> prompt, String chosen, String rejected) implements Sample {}

    /** KTO: a conversation whose final assistant reply is labelled desirable or not. */
    record Kto(List<Message> messages, boolean desirable) implements Sample {}
}
