package io.jswift.train.encode;

import io.jswift.models.tokenizer.Tokenizer;
import io.jswift.train.data.DatasetException;
import io.jswift.train.data.LocatedSample;
import io.jswift.train.data.Message;
import io.jswift.train.data.Sample;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PretrainEncoderTest {
    private static LocatedSample row(Sample s) {
        return new LocatedSample(Path.of("pt.jsonl"), 7, s);
    }

    @Test
    void textGetsTheTokenizersSpecialsThenEosWithLossOnEveryToken() throws Exception {
        Tokenizer qwen = ModelFiles.tokenizer("qwen3");
        Encoded q = new PretrainEncoder(qwen).encode(row(new Sample.Text("Hello world")));
        assertEquals("Hello world<|im_end|>", Labelled.text(qwen, q)); // Qwen adds no bos; eos_token is <|im_end|>
        assertArrayEquals(q.inputIds(), q.labels());
        assertEquals(q.length() - 1, q.targets());

        // Llama 2's post-processor puts <s> first (ms-swift auto_add_bos); </s> ends the document
        Tokenizer llama2 = Tokenizer.fromDirectory(ModelFiles.tokenizerDir("llama2"));
        Encoded l = new PretrainEncoder(llama2).encode(row(new Sample.Text("Hello world")));
        int[] body = llama2.encode("Hello world", false);
        assertEquals(body.length + 2, l.length());
        assertEquals(llama2.tokenToId("<s>"), l.inputIds()[0]);
        assertEquals(llama2.tokenToId("</s>"), l.inputIds()[l.length() - 1]);
    }

    @Test
    void tokenizedRowsPassThroughAndOtherRowsAreRejected() {
        PretrainEncoder noTokenizer = new PretrainEncoder(null);
        Encoded t = noTokenizer.encode(row(new Sample.Tokenized(new int[]{3, 4, 5}, null)));
        assertArrayEquals(new int[]{3, 4, 5}, t.labels());
        IllegalArgumentException text = assertThrows(IllegalArgumentException.class, () -> noTokenizer.encode(row(new Sample.Text("x"))));
        assertTrue(text.getMessage().startsWith("pt.jsonl:7: text rows need the model's tokenizer.json"), text.getMessage());
        DatasetException chat = assertThrows(DatasetException.class,
                () -> noTokenizer.encode(row(new Sample.Chat(List.of(new Message("user", "q"), new Message("assistant", "a"))))));
        assertTrue(chat.getMessage().startsWith("pt.jsonl:7: jswift pt trains on text or pre-tokenized rows"), chat.getMessage());
    }
}
