package io.jswift.train.encode;

import io.jswift.models.chat.ChatTemplate;
import io.jswift.models.tokenizer.Tokenizer;
import io.jswift.train.data.DatasetException;
import io.jswift.train.data.DatasetFile;
import io.jswift.train.data.LocatedSample;
import io.jswift.train.data.Message;
import io.jswift.train.data.Sample;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Which text gets loss, checked by hand on the real Qwen3 and Llama 3 tokenizers and templates. */
class ChatEncoderTest {
    @TempDir
    Path dir;

    private static LocatedSample chat(Message... messages) {
        return new LocatedSample(Path.of("conv.jsonl"), 4, new Sample.Chat(List.of(messages)));
    }

    private static Message user(String s) { return new Message("user", s); }

    private static Message assistant(String s) { return new Message("assistant", s); }

    private static ChatEncoder encoder(String name, LossScale scale) {
        return new ChatEncoder(ModelFiles.tokenizer(name), ModelFiles.template(name), scale);
    }

    @Test
    void qwen3TrainsEveryReplyAsGeneratedWithItsThinkBlock() {
        Tokenizer tok = ModelFiles.tokenizer("qwen3");
        LocatedSample row = chat(user("q1"), assistant("<think>\nlet me think\n</think>\n\nanswer one"), user("q2"),
                assistant("<think>\nagain\n</think>\n\nanswer two"));
        Encoded e = encoder("qwen3", LossScale.DEFAULT).encode(row);
        assertEquals("<|im_start|>user\nq1<|im_end|>\n<|im_start|>assistant\n<think>\nlet me think\n</think>\n\nanswer one<|im_end|>\n"
                + "<|im_start|>user\nq2<|im_end|>\n<|im_start|>assistant\n<think>\nagain\n</think>\n\nanswer two<|im_end|>", Labelled.text(tok, e));
        assertEquals(List.of("<think>\nlet me think\n</think>\n\nanswer one<|im_end|>", "<think>\nagain\n</think>\n\nanswer two<|im_end|>"),
                Labelled.runs(tok, e));

        // last_round: history as the template shows it to the model (think block dropped), loss on the final reply
        Encoded last = encoder("qwen3", LossScale.LAST_ROUND).encode(row);
        assertEquals("<|im_start|>user\nq1<|im_end|>\n<|im_start|>assistant\nanswer one<|im_end|>\n"
                + "<|im_start|>user\nq2<|im_end|>\n<|im_start|>assistant\n<think>\nagain\n</think>\n\nanswer two<|im_end|>", Labelled.text(tok, last));
        assertEquals(List.of("<think>\nagain\n</think>\n\nanswer two<|im_end|>"), Labelled.runs(tok, last));
    }

    @Test
    void qwen3ToolResponsesCarryNoLoss() {
        Tokenizer tok = ModelFiles.tokenizer("qwen3");
        LocatedSample row = chat(user("Weather in Paris?"), assistant("Let me check."), new Message("tool", "{\"temp\": 21}"),
                assistant("It is 21 degrees."));
        assertEquals(List.of("<think>\n\n</think>\n\nLet me check.<|im_end|>", "<think>\n\n</think>\n\nIt is 21 degrees.<|im_end|>"),
                Labelled.runs(tok, encoder("qwen3", LossScale.DEFAULT).encode(row)));
        Encoded last = encoder("qwen3", LossScale.LAST_ROUND).encode(row);
        assertEquals(List.of("<think>\n\n</think>\n\nIt is 21 degrees.<|im_end|>"), Labelled.runs(tok, last));
        assertTrue(Labelled.text(tok, last).contains("<|im_start|>user\n<tool_response>\n{\"temp\": 21}\n</tool_response><|im_end|>\n"));
    }

    @Test
    void llama3TrainsRepliesWithEotAndNotTheDanglingHeader() {
        Tokenizer tok = ModelFiles.tokenizer("llama3");
        LocatedSample row = chat(new Message("system", "You are terse."), user("1+1?"), assistant("2"), user("And 2+2?"), assistant(" 4 "));
        Encoded e = encoder("llama3", LossScale.DEFAULT).encode(row);
        assertEquals("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are terse.<|eot_id|>"
                + "<|start_header_id|>user<|end_header_id|>\n\n1+1?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n2<|eot_id|>"
                + "<|start_header_id|>user<|end_header_id|>\n\nAnd 2+2?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n4<|eot_id|>",
                Labelled.text(tok, e));
        assertEquals(List.of("2<|eot_id|>", "4<|eot_id|>"), Labelled.runs(tok, e));
        assertEquals(List.of("4<|eot_id|>"), Labelled.runs(tok, encoder("llama3", LossScale.LAST_ROUND).encode(row)));
        Encoded all = encoder("llama3", LossScale.ALL).encode(row);
        assertEquals(List.of(Labelled.text(tok, e)), Labelled.runs(tok, all));
    }

    @Test
    void rowsThatCannotBeTrainedNameFileAndLine() {
        ChatEncoder enc = encoder("qwen3", LossScale.DEFAULT);
        DatasetException lastUser = assertThrows(DatasetException.class, () -> enc.encode(chat(user("q"), assistant("a"), user("and?"))));
        assertEquals("conv.jsonl:4: the last message is from 'user', not an assistant reply: there is nothing to learn", lastUser.getMessage());
        DatasetException first = assertThrows(DatasetException.class, () -> enc.encode(chat(assistant("hello"))));
        assertEquals("conv.jsonl:4: messages[0] is an assistant reply with nothing before it to answer", first.getMessage());
        DatasetException text = assertThrows(DatasetException.class,
                () -> enc.encode(new LocatedSample(Path.of("t.jsonl"), 9, new Sample.Text("plain"))));
        assertTrue(text.getMessage().startsWith("t.jsonl:9: a text row has no conversation to fine-tune on"), text.getMessage());
        DatasetException kto = assertThrows(DatasetException.class,
                () -> enc.encode(new LocatedSample(Path.of("k.jsonl"), 2, new Sample.Kto(List.of(user("q"), assistant("a")), false))));
        assertTrue(kto.getMessage().startsWith("k.jsonl:2: a KTO row"), kto.getMessage());
        assertThrows(IllegalArgumentException.class, () -> LossScale.parse("react"));
    }

    @Test
    void defaultSystemOnlyWhereTheRowHasNone() {
        Tokenizer tok = ModelFiles.tokenizer("qwen3");
        ChatEncoder enc = new ChatEncoder(tok, ModelFiles.template("qwen3"), LossScale.DEFAULT, "You are Jswift.", null);
        assertTrue(Labelled.text(tok, enc.encode(chat(user("hi"), assistant("hello"))))
                .startsWith("<|im_start|>system\nYou are Jswift.<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n"));
        String own = Labelled.text(tok, enc.encode(chat(new Message("system", "Be brief."), user("hi"), assistant("hello"))));
        assertTrue(own.startsWith("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\n"), own);
        assertFalse(own.contains("Jswift"));
    }

    @Test
    void selfCognitionPlaceholdersFollowTheRowTag() throws IOException {
        Path data = dir.resolve("self.jsonl");
        Files.writeString(data, """
                {"query": "你是谁？", "response": "我是{{NAME}}，由{{AUTHOR}}训练的人工智能助手。", "tag": "zh"}
                {"query": "Who are you?", "response": "I am {{NAME}}, trained by {{AUTHOR}}.", "tag": "en"}
                """);
        List<LocatedSample> rows = new ArrayList<>();
        new DatasetFile(data, false).forEach(rows::add);
        Tokenizer tok = ModelFiles.tokenizer("qwen3");
        SelfCognition names = SelfCognition.of(List.of("小黄", "Xiao Huang"), List.of("魔搭", "ModelScope"));
        ChatEncoder enc = new ChatEncoder(tok, ModelFiles.template("qwen3"), LossScale.DEFAULT, null, names);
        assertEquals(List.of("<think>\n\n</think>\n\n我是小黄，由魔搭训练的人工智能助手。<|im_end|>"), Labelled.runs(tok, enc.encode(rows.get(0))));
        assertEquals(List.of("<think>\n\n</think>\n\nI am Xiao Huang, trained by ModelScope.<|im_end|>"), Labelled.runs(tok, enc.encode(rows.get(1))));
        SelfCognition one = SelfCognition.of(List.of("Jswift"), null);
        assertEquals("我是Jswift，由{{AUTHOR}}训练", one.apply("我是{{NAME}}，由{{AUTHOR}}训练", "zh"));
        assertThrows(IllegalArgumentException.class, () -> SelfCognition.of(List.of("a", "b", "c"), null));
    }

    @Test
    void consecutiveRepliesAreJoinedAsMsSwiftDoes() {
        ChatEncoder enc = encoder("qwen3", LossScale.DEFAULT);
        Encoded split = enc.encode(chat(user("Count."), assistant("one "), assistant("two")));
        Encoded joined = enc.encode(chat(user("Count."), assistant("one two")));
        assertArrayEquals(joined.inputIds(), split.inputIds());
        assertArrayEquals(joined.labels(), split.labels());
    }

    @Test
    void preferenceRowsTrainTheChosenReplyAndTokenizedRowsPassThrough() {
        Tokenizer tok = ModelFiles.tokenizer("llama3");
        ChatEncoder enc = encoder("llama3", LossScale.DEFAULT);
        Encoded pref = enc.encode(new LocatedSample(Path.of("p.jsonl"), 1, new Sample.Preference(List.of(user("q")), "good", "bad")));
        assertEquals(List.of("good<|eot_id|>"), Labelled.runs(tok, pref));
        Encoded t = enc.encode(new LocatedSample(Path.of("p.jsonl"), 2, new Sample.Tokenized(new int[]{5, 6, 7}, new int[]{-100, 6, 7})));
        assertArrayEquals(new int[]{5, 6, 7}, t.inputIds());
        assertArrayEquals(new int[]{-100, 6, 7}, t.labels());
    }

    /**
     * With a template that does not strip replies, a reply starting with "\n" after a prompt ending in "\n" is where
     * tokenizing the joined text differs: it would merge "\n\n" into one token across the place where generation
     * starts. The encoder keeps the prompt's own tokens (what inference feeds the model) and the reply's.
     */
    @Test
    void replyTokensStartWhereGenerationStarts() throws IOException {
        Files.writeString(dir.resolve("tokenizer_config.json"), """
                {"eos_token": "<|im_end|>", "chat_template": "{% for m in messages %}<|im_start|>{{ m.role }}\\n{{ m.content }}<|im_end|>\\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\\n{% endif %}"}
                """);
        Tokenizer tok = ModelFiles.tokenizer("qwen3");
        ChatEncoder enc = new ChatEncoder(tok, ChatTemplate.fromDirectory(dir), LossScale.DEFAULT);
        String prompt = "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n";

        Encoded plain = enc.encode(chat(user("hi"), assistant("Hello")));
        assertArrayEquals(tok.encode(prompt + "Hello<|im_end|>", false), plain.inputIds());
        assertEquals(List.of("Hello<|im_end|>"), Labelled.runs(tok, plain));

        Encoded newline = enc.encode(chat(user("hi"), assistant("\nHello")));
        int[] promptIds = tok.encode(prompt, false), replyIds = tok.encode("\nHello<|im_end|>", false);
        int[] expected = Arrays.copyOf(promptIds, promptIds.length + replyIds.length);
        System.arraycopy(replyIds, 0, expected, promptIds.length, replyIds.length);
        assertArrayEquals(expected, newline.inputIds());
        assertFalse(Arrays.equals(tok.encode(prompt + "\nHello<|im_end|>", false), newline.inputIds()));
        assertEquals(List.of("\nHello<|im_end|>"), Labelled.runs(tok, newline));
    }
}
