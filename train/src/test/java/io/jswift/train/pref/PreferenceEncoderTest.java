package io.jswift.train.pref;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jswift.models.chat.ChatTemplate;
import io.jswift.models.tokenizer.Tokenizer;
import io.jswift.train.data.DatasetException;
import io.jswift.train.data.DatasetSpec;
import io.jswift.train.encode.ChatEncoder;
import io.jswift.train.encode.EncodedDataset;
import io.jswift.train.encode.Encoded;
import io.jswift.train.encode.LossScale;
import io.jswift.train.encode.Truncation;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Preference rows with the real Qwen3 tokenizer and chat template against transformers' apply_chat_template
 * (tools/fixtures/dpo_fixtures.py): prompt with the generation prompt, completion up to and including
 * &lt;|im_end|&gt;; bad rows name file:line; --max_length cuts or drops each sequence.
 */
class PreferenceEncoderTest {
    static final Path QWEN3 = Path.of("../models/src/test/resources/tokenizers/qwen3").toAbsolutePath().normalize();
    static PreferenceEncoder encoder;

    @TempDir
    Path dir;

    @BeforeAll
    static void load() throws Exception {
        encoder = new PreferenceEncoder(new ChatEncoder(Tokenizer.fromDirectory(QWEN3), ChatTemplate.fromDirectory(QWEN3), LossScale.LAST_ROUND));
    }

    private static int[] ints(JsonNode a) {
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) out[i] = a.get(i).asInt();
        return out;
    }

    private static void assertSequence(int[] prompt, int[] completion, Encoded e, String what) {
        assertEquals(prompt.length + completion.length, e.length(), what + " length");
        for (int i = 0; i < prompt.length; i++) {
            assertEquals(prompt[i], e.inputIds()[i], what + " prompt id " + i);
            assertEquals(Encoded.IGNORE, e.labels()[i], what + " prompt label " + i);
        }
        for (int i = 0; i < completion.length; i++) {
            assertEquals(completion[i], e.inputIds()[prompt.length + i], what + " completion id " + i);
            assertEquals(completion[i], e.labels()[prompt.length + i], what + " completion label " + i);
        }
    }

    private PreferenceDataset.Splits load(String rows, int maxLength, String truncation, boolean skipBad) throws Exception {
        Path file = dir.resolve("pref.jsonl");
        Files.writeString(file, rows);
        return PreferenceDataset.load(List.of(DatasetSpec.parse(file.toString())), List.of(), encoder,
                new EncodedDataset.Options(maxLength, Truncation.Strategy.parse(truncation), false, skipBad, 42, 0, 0));
    }

    @Test
    void rowsEncodeAsTransformersRendersThem() throws Exception {
        JsonNode golden = new ObjectMapper().readTree(Path.of("src/test/resources/encode/expected_dpo_qwen3.json").toFile());
        StringBuilder rows = new StringBuilder();
        for (JsonNode g : golden) rows.append(g.get("row").toString()).append('\n');
        PreferenceDataset data = load(rows.toString(), 4096, "delete", false).train();
        assertEquals(golden.size(), data.pairs().size());
        for (int i = 0; i < golden.size(); i++) {
            JsonNode g = golden.get(i);
            PreferencePair p = data.pairs().get(i);
            assertSequence(ints(g.get("prompt_ids")), ints(g.get("chosen_ids")), p.chosen(), "row " + i + " chosen");
            assertSequence(ints(g.get("prompt_ids")), ints(g.get("rejected_ids")), p.rejected(), "row " + i + " rejected");
        }
    }

    @Test
    void badRowsNameFileAndLine() throws Exception {
        String good = "{\"messages\": [{\"role\": \"user\", \"content\": \"a\"}, {\"role\": \"assistant\", \"content\": \"b\"}], \"rejected_response\": \"c\"}\n";
        String[][] cases = {
                {"{\"messages\": [{\"role\": \"user\", \"content\": \"a\"}, {\"role\": \"assistant\", \"content\": \"b\"}]}\n", "rejected_response"},
                {"{\"messages\": [{\"role\": \"user\", \"content\": \"a\"}, {\"role\": \"assistant\", \"content\": \"\"}], \"rejected_response\": \"c\"}\n", "chosen reply"},
                {"{\"messages\": [{\"role\": \"user\", \"content\": \"a\"}, {\"role\": \"assistant\", \"content\": \"b\"}], \"rejected_response\": \" \"}\n", "rejected reply"},
                {"{\"prompt\": \"a\", \"chosen\": \"b\", \"rejected\": \"\"}\n", "rejected reply"},
                {"{\"messages\": [{\"role\": \"user\", \"content\": \"a\"}, {\"role\": \"assistant\", \"content\": \"b\"}], \"label\": true}\n", "--rlhf_type kto"},
        };
        for (String[] c : cases) {
            DatasetException e = assertThrows(DatasetException.class, () -> load(good + c[0], 4096, "delete", false));
            assertTrue(e.getMessage().startsWith(dir.resolve("pref.jsonl") + ":2: ") && e.getMessage().contains(c[1]), e.getMessage());
        }
        PreferenceDataset skipped = load(good + cases[0][0] + good, 4096, "delete", true).train();
        assertEquals(2, skipped.pairs().size());
        assertEquals(1, skipped.counts().badRows());
    }

    @Test
    void maxLengthDeletesOrCutsEachSequence() throws Exception {
        String row = "{\"messages\": [{\"role\": \"user\", \"content\": \"What is 2+2?\"}, {\"role\": \"assistant\", \"content\": \"4\"}], \"rejected_response\": \"five, or so I think\"}\n";
        String shortRow = "{\"prompt\": \"hi\", \"chosen\": \"a\", \"rejected\": \"b\"}\n";
        PreferenceDataset full = load(row, 4096, "delete", false).train();
        int chosen = full.pairs().get(0).chosen().length(), rejected = full.pairs().get(0).rejected().length();
        assertTrue(rejected > chosen);
        PreferenceDataset deleted = load(row + shortRow, chosen, "delete", false).train();
        assertEquals(1, deleted.pairs().size(), "the pair whose rejected sequence is too long is dropped");
        assertEquals(1, deleted.counts().deletedRows());
        PreferenceDataset left = load(row, chosen, "left", false).train();
        Encoded cut = left.pairs().get(0).rejected();
        assertEquals(chosen, cut.length());
        assertArrayEquals(java.util.Arrays.copyOfRange(full.pairs().get(0).rejected().inputIds(), rejected - chosen, rejected), cut.inputIds(),
                "left keeps the end of the rejected sequence");
        assertEquals(full.pairs().get(0).chosen().length(), left.pairs().get(0).chosen().length(), "the chosen sequence fits and is kept whole");
        assertEquals(1, left.counts().truncatedRows());
        int prompt = 0;
        while (full.pairs().get(0).rejected().labels()[prompt] == Encoded.IGNORE) prompt++;
        int promptLength = prompt; // right truncation to the prompt alone leaves no completion token
        var e = assertThrows(IllegalArgumentException.class, () -> load(row, promptLength, "right", false));
        assertTrue(e.getMessage().contains("without a completion token"), e.getMessage());
    }
}
