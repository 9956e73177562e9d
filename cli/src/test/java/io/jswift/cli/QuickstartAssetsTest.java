package io.jswift.cli;

import io.jswift.models.chat.ChatTemplate;
import io.jswift.models.CausalLm;
import io.jswift.models.generate.SamplingParams;
import io.jswift.models.generate.TextGenerator;
import io.jswift.models.load.LoadedModel;
import io.jswift.models.load.ModelLoader;
import io.jswift.models.tokenizer.Tokenizer;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The bundled quickstart model and datasets load, render and answer as examples/tiny-chat/README.md says. */
class QuickstartAssetsTest {
    private static final Path EXAMPLES = Path.of("../examples").toAbsolutePath().normalize();

    private static String answer(CausalLm model, Tokenizer tokenizer, ChatTemplate template, String question) {
        String prompt = template.render(List.of(Map.of("role", "user", "content", question)), true, null, Map.of());
        int[] ids = tokenizer.encode(prompt, false);
        int[] eos = {tokenizer.tokenToId("<|im_end|>"), tokenizer.tokenToId("<|endoftext|>")};
        TextGenerator generator = new TextGenerator(model, eos, null);
        int[] out = generator.generate(List.of(ids), new SamplingParams(40, 0, 0, 1, 1, 0, List.of()), null).get(0).tokens();
        return tokenizer.decode(out, true);
    }

    @Test
    void tinyChatAnswersItsCorpusGreedily() throws Exception {
        Path dir = EXAMPLES.resolve("tiny-chat");
        CausalLm model = ((LoadedModel.CausalLm) ModelLoader.load(dir, false)).model();
        Tokenizer tokenizer = Tokenizer.fromDirectory(dir);
        ChatTemplate template = ChatTemplate.fromDirectory(dir);
        assertEquals("3 plus 4 is 7.", answer(model, tokenizer, template, "what is 3 plus 4?"));
        assertTrue(answer(model, tokenizer, template, "who are you?").startsWith("I am an AI"), "generic identity before fine-tuning");
    }

    @Test
    void selfCognitionRowsCarryThePlaceholders() throws Exception {
        List<String> rows = Files.readAllLines(EXAMPLES.resolve("self_cognition.jsonl"));
        assertTrue(rows.size() >= 100, rows.size() + " rows");
        assertTrue(rows.stream().allMatch(r -> r.contains("\"messages\"") && (r.contains("{{NAME}}") || r.contains("{{AUTHOR}}"))));
        assertTrue(Files.readAllLines(EXAMPLES.resolve("general_chat.jsonl")).size() >= 50);
    }
}
