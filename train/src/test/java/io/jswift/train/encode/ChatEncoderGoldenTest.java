package io.jswift.train.encode;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jswift.models.tokenizer.Tokenizer;
import io.jswift.train.data.LocatedSample;
import io.jswift.train.data.Message;
import io.jswift.train.data.Sample;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Ids and loss masks against transformers + TRL (tools/fixtures/sft_encode_fixtures.py): TRL's training
 * variant of each template marks the assistant tokens, and the model's own template gives the whole text.
 */
class ChatEncoderGoldenTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @ParameterizedTest
    @ValueSource(strings = {"qwen3", "llama3"})
    void idsAndLossMasksMatchTransformersAndTrl(String name) throws IOException {
        Tokenizer tok = ModelFiles.tokenizer(name);
        ChatEncoder byDefault = new ChatEncoder(tok, ModelFiles.template(name), LossScale.DEFAULT);
        ChatEncoder lastRound = new ChatEncoder(tok, ModelFiles.template(name), LossScale.LAST_ROUND);
        ChatEncoder all = new ChatEncoder(tok, ModelFiles.template(name), LossScale.ALL);
        JsonNode convs = JSON.readTree(getClass().getResourceAsStream("/encode/sft_conversations.json"));
        JsonNode expected = JSON.readTree(getClass().getResourceAsStream("/encode/expected_sft_" + name + ".json"));
        int newline = tok.encode("\n", false)[0];
        Integer imEnd = tok.tokenToId("<|im_end|>");
        for (int c = 0; c < convs.size(); c++) {
            String what = name + " / " + convs.get(c).get("name").asText();
            LocatedSample row = new LocatedSample(Path.of("conv.jsonl"), c + 1, new Sample.Chat(messages(convs.get(c).get("messages"))));
            JsonNode x = expected.get(c);
            int[] trlIds = ints(x.get("trl_input_ids")), trlMask = ints(x.get("trl_assistant_masks"));

            // default: TRL's training rendering (every reply as generated), up to the last end-of-turn token
            Encoded e = byDefault.encode(row);
            int n = e.length();
            assertArrayEquals(Arrays.copyOf(trlIds, n), e.inputIds(), what);
            int[] tail = Arrays.copyOfRange(trlIds, n, trlIds.length);
            // what follows the last end-of-turn token is template text: Qwen's "\n" (Llama 3 ends at <|eot_id|>)
            assertArrayEquals(name.equals("qwen3") ? new int[]{newline} : new int[0], tail, what);
            boolean[] mask = new boolean[n];
            for (int i = 0; i < n; i++) {
                // TRL's Qwen3 markers also cover the "\n" after <|im_end|>; ms-swift trains only the end-of-turn token
                boolean newlineAfterEnd = imEnd != null && i > 0 && trlIds[i - 1] == imEnd && trlIds[i] == newline;
                mask[i] = trlMask[i] == 1 && !newlineAfterEnd;
            }
            for (int i = 0; i < n; i++) {
                assertEquals(mask[i], e.labels()[i] != Encoded.IGNORE, what + " position " + i);
                if (mask[i]) assertEquals(e.inputIds()[i], e.labels()[i], what);
            }

            // all: the same ids, every one a label
            Encoded everything = all.encode(row);
            assertArrayEquals(e.inputIds(), everything.inputIds(), what);
            assertArrayEquals(e.inputIds(), everything.labels(), what);

            // last_round: the model's own rendering of the whole conversation (history as inference shows it)
            Encoded last = lastRound.encode(row);
            int[] template = ints(x.get("template_input_ids"));
            assertArrayEquals(Arrays.copyOf(template, last.length()), last.inputIds(), what);
            String rest = tok.decode(Arrays.copyOfRange(template, last.length(), template.length), false);
            assertEquals(name.equals("qwen3") ? "\n" : "<|start_header_id|>assistant<|end_header_id|>\n\n", rest, what);
            // its loss is the default loss of the replies after the last user / tool message
            List<String> defaultRuns = Labelled.runs(tok, e), lastRuns = Labelled.runs(tok, last);
            int finalRound = finalRoundReplies(convs.get(c).get("messages"));
            assertEquals(defaultRuns.subList(defaultRuns.size() - finalRound, defaultRuns.size()), lastRuns, what);
            assertTrue(last.labels()[last.length() - 1] != Encoded.IGNORE, what);
        }
    }

    private static int finalRoundReplies(JsonNode messages) {
        int count = 0;
        for (JsonNode m : messages) {
            String role = m.get("role").asText();
            if (role.equals("user") || role.equals("tool")) count = 0;
            else if (role.equals("assistant")) count++;
        }
        return count;
    }

    static List<Message> messages(JsonNode list) {
        List<Message> out = new ArrayList<>();
        for (JsonNode m : list) out.add(new Message(m.get("role").asText(), m.get("content").asText()));
        return out;
    }

    private static int[] ints(JsonNode list) {
        int[] out = new int[list.size()];
        for (int i = 0; i < out.length; i++) out[i] = list.get(i).asInt();
        return out;
    }
}
