package io.jswift.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.jswift.models.tokenizer.Tokenizer;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code jswift tokenize}: {"input_ids": [...]} of a text with the model's tokenizer.json (no special tokens added). */
@Command(name = "tokenize", description = "Write the token ids of a text, exactly as the model's tokenizer produces them.")
final class TokenizeCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "Model directory with tokenizer.json (no weights needed).") Path model;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Source source;

    static final class Source {
        @Option(names = "--text", description = "The text.") String text;
        @Option(names = "--file", description = "A UTF-8 file, read exactly as stored.") Path file;
    }

    @Option(names = "--output", required = true, description = "Output JSON file.") Path output;
    @Option(names = "--verbose", description = "Print stack traces on errors.") boolean verbose;

    @Override
    public Integer call() throws Exception {
        String text = source.text != null ? source.text : readUtf8(source.file);
        int[] ids = Tokenizer.fromDirectory(model).encode(text, false);
        new ObjectMapper().writeValue(output.toFile(), Map.of("input_ids", ids));
        System.out.println("wrote " + ids.length + " token ids to " + output);
        return 0;
    }

    private static String readUtf8(Path file) throws java.io.IOException {
        byte[] bytes = Files.readAllBytes(file);
        try {
            return StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(bytes)).toString();
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new IllegalArgumentException(file + ": not valid UTF-8 text");
        }
    }
}
