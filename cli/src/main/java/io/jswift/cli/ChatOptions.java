package io.jswift.cli;

import io.jswift.train.run.SftRun;
import picocli.CommandLine.Option;

import java.util.List;

/** How conversations are rendered for training: --system and the self-cognition names (picocli mixin). */
final class ChatOptions {
    @Option(names = "--system", description = "System prompt for rows that have none.") String system;
    @Option(names = "--model_name", arity = "1..2", description = "Replaces {{NAME}} in the data (self-cognition); two values: Chinese, English.") List<String> modelName;
    @Option(names = "--model_author", arity = "1..2", description = "Replaces {{AUTHOR}} in the data; two values: Chinese, English.") List<String> modelAuthor;

    SftRun.ChatArgs toArgs(String lossScale) {
        return new SftRun.ChatArgs(lossScale, system, modelName, modelAuthor);
    }
}
