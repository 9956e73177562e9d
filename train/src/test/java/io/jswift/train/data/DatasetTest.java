package io.jswift.train.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DatasetTest {
    @TempDir
    Path dir;

    private Path write(String name, String content) throws IOException {
        Path p = dir.resolve(name);
        Files.writeString(p, content);
        return p;
    }

    private List<LocatedSample> read(Path p, boolean skip) {
        List<LocatedSample> out = new ArrayList<>();
        new DatasetFile(p, skip).forEach(out::add);
        return out;
    }

    @Test
    void everyFormatIsDetectedPerRow() throws IOException {
        Path p = write("mixed.jsonl", String.join("\n",
                "{\"messages\": [{\"role\": \"system\", \"content\": \"be brief\"}, {\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": [{\"type\": \"text\", \"text\": \"he\"}, {\"type\": \"text\", \"text\": \"llo\"}]}]}",
                "{\"instruction\": \"add\", \"input\": \"1+1\", \"output\": \"2\"}",
                "{\"instruction\": \"greet\", \"output\": \"hi\", \"system\": \"sys\"}",
                "{\"query\": \"q2\", \"response\": \"r2\", \"history\": [[\"q1\", \"r1\"]]}",
                "{\"conversations\": [{\"from\": \"human\", \"value\": \"a\"}, {\"from\": \"gpt\", \"value\": \"b\"}]}",
                "{\"input_ids\": [1, 2, 3], \"labels\": [-100, 2, 3]}",
                "{\"input_ids\": [4, 5]}",
                "{\"text\": \"plain text\"}",
                "{\"messages\": [{\"role\": \"user\", \"content\": \"q\"}, {\"role\": \"assistant\", \"content\": \"good\"}], \"rejected_response\": \"bad\"}",
                "{\"prompt\": \"p\", \"chosen\": \"c\", \"rejected\": \"r\"}",
                "{\"messages\": [{\"role\": \"user\", \"content\": \"q\"}, {\"role\": \"assistant\", \"content\": \"a\"}], \"label\": false}",
                ""));
        List<LocatedSample> rows = read(p, false);
        assertEquals(11, rows.size());
        Sample.Chat chat = assertInstanceOf(Sample.Chat.class, rows.get(0).sample());
        assertEquals(new Message("assistant", "hello"), chat.messages().get(2));
        assertEquals(List.of(new Message("user", "add\n1+1"), new Message("assistant", "2")),
                ((Sample.Chat) rows.get(1).sample()).messages());
        assertEquals(new Message("system", "sys"), ((Sample.Chat) rows.get(2).sample()).messages().get(0));
        assertEquals(List.of(new Message("user", "q1"), new Message("assistant", "r1"), new Message("user", "q2"), new Message("assistant", "r2")),
                ((Sample.Chat) rows.get(3).sample()).messages());
        assertEquals(List.of(new Message("user", "a"), new Message("assistant", "b")), ((Sample.Chat) rows.get(4).sample()).messages());
        Sample.Tokenized t = (Sample.Tokenized) rows.get(5).sample();
        assertArrayEquals(new int[]{-100, 2, 3}, t.labels());
        assertNull(((Sample.Tokenized) rows.get(6).sample()).labels());
        assertEquals("plain text", ((Sample.Text) rows.get(7).sample()).text());
        Sample.Preference pref = (Sample.Preference) rows.get(8).sample();
        assertEquals("good", pref.chosen());
        assertEquals("bad", pref.rejected());
        assertEquals(List.of(new Message("user", "p")), ((Sample.Preference) rows.get(9).sample()).prompt());
        assertEquals(false, ((Sample.Kto) rows.get(10).sample()).desirable());
        assertEquals(11, rows.get(10).line());
    }

    @Test
    void malformedRowsNameFileAndLine() throws IOException {
        Path p = write("bad.jsonl", "{\"text\": \"ok\"}\n\n{\"text\": \n{\"foo\": 1}\n{\"input_ids\": [1, \"x\"]}\n");
        DatasetException e = assertThrows(DatasetException.class, () -> read(p, false));
        assertEquals(3, e.line());
        assertTrue(e.getMessage().startsWith(p + ":3: not valid JSON"), e.getMessage());
        assertTrue(e.getMessage().endsWith("(use --skip_bad_rows to skip such rows)"), e.getMessage());

        DatasetFile skipping = new DatasetFile(p, true);
        List<LocatedSample> rows = new ArrayList<>();
        skipping.forEach(rows::add);
        assertEquals(1, rows.size());
        assertEquals(3, skipping.skipped());

        Path unknown = write("unknown.jsonl", "{\"foo\": 1}\n");
        DatasetException u = assertThrows(DatasetException.class, () -> read(unknown, false));
        assertTrue(u.getMessage().contains(":1: unknown row format with keys [foo]"), u.getMessage());

        Path badLabels = write("labels.jsonl", "{\"input_ids\": [1, 2], \"labels\": [1]}\n");
        assertTrue(assertThrows(DatasetException.class, () -> read(badLabels, false)).getMessage()
                .contains("'labels' has 1 entries but 'input_ids' has 2"));

        Path role = write("role.jsonl", "{\"messages\": [{\"role\": \"bot\", \"content\": \"x\"}]}\n");
        assertTrue(assertThrows(DatasetException.class, () -> read(role, false)).getMessage().contains("unknown role 'bot'"));
    }

    @Test
    void jsonArrayFilesStreamWithLineNumbers() throws IOException {
        Path p = write("rows.json", "[\n  {\"text\": \"a\"},\n  {\"text\": \"b\"},\n  {\"nope\": 1}\n]\n");
        DatasetException e = assertThrows(DatasetException.class, () -> read(p, false));
        assertEquals(4, e.line());
        List<LocatedSample> rows = read(p, true);
        assertEquals(List.of(2L, 3L), rows.stream().map(LocatedSample::line).toList());
        Path truncated = write("cut.json", "[{\"text\": \"a\"}, {\"text\":");
        assertThrows(DatasetException.class, () -> read(truncated, false));
    }

    @Test
    void missingFileIsAClearError() {
        DatasetException e = assertThrows(DatasetException.class, () -> read(dir.resolve("none.jsonl"), false));
        assertTrue(e.getMessage().endsWith("none.jsonl: no such dataset file"), e.getMessage());
    }

    @Test
    void sampleCountIsSeededOrderedAndOversamples() throws IOException {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 100; i++) sb.append("{\"text\": \"row ").append(i).append("\"}\n");
        Path p = write("many.jsonl", sb.toString());
        List<LocatedSample> a = new DatasetLoader(false, 7).load(List.of(DatasetSpec.parse(p + "#10")));
        List<LocatedSample> b = new DatasetLoader(false, 7).load(List.of(DatasetSpec.parse(p + "#10")));
        List<LocatedSample> c = new DatasetLoader(false, 8).load(List.of(DatasetSpec.parse(p + "#10")));
        assertEquals(10, a.size());
        assertEquals(a.stream().map(LocatedSample::line).toList(), b.stream().map(LocatedSample::line).toList());
        assertTrue(!a.stream().map(LocatedSample::line).toList().equals(c.stream().map(LocatedSample::line).toList()));
        List<Long> lines = a.stream().map(LocatedSample::line).toList();
        assertEquals(lines.stream().sorted().toList(), lines); // file order kept
        assertEquals(250, new DatasetLoader(false, 1).load(List.of(DatasetSpec.parse(p + "#250"))).size());
        assertThrows(IllegalArgumentException.class, () -> DatasetSpec.parse("x.jsonl#zero"));
        assertEquals(200, new DatasetLoader(false, 1).load(List.of(DatasetSpec.parse(p.toString()), DatasetSpec.parse(p.toString()))).size());
    }
}
