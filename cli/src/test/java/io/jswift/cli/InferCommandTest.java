package io.jswift.cli;

import io.jswift.models.chat.ChatTemplate;
import io.jswift.models.CausalLm;
import io.jswift.models.generate.SamplingParams;
import io.jswift.models.generate.TextGenerator;
import io.jswift.models.load.LoadedModel;
import io.jswift.models.load.ModelLoader;
import io.jswift.models.tokenizer.Tokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

class InferCommandTest {
    @TempDir
    Path dir;

    @Test
    void promptIsAnsweredThroughTheChatTemplateAndStreamed() throws Exception {
        Path model = TinyModels.llamaWithTinyTokenizer(dir);
        // expected: the same greedy generation done by hand
        CausalLm lm = ((LoadedModel.CausalLm) ModelLoader.load(model, false)).model();
        Tokenizer tok = Tokenizer.fromDirectory(model);
        String prompt = ChatTemplate.fromDirectory(model).render(List.of(Map.of("role", "user", "content", "hi there")), true, null, null);
        assertEquals("user: hi there\nassistant:", prompt);
        int[] reply = new TextGenerator(lm, new int[]{127, 2}, null).generate(List.of(tok.encode(prompt, false)), SamplingParams.greedy(8), null).get(0).tokens();
        String expected = tok.decode(reply, true);

        PrintStream original = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        int code;
        try {
            code = Main.run("infer", "--model", model.toString(), "--prompt", "hi there", "--max_new_tokens", "8", "--temperature", "0");
        } finally {
            System.setOut(original);
        }
        assertEquals(0, code);
        assertEquals(expected + System.lineSeparator(), captured.toString(StandardCharsets.UTF_8));
    }
}
