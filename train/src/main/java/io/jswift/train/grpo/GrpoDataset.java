package io.jswift.train.grpo;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jswift.train.data.DatasetSpec;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * GRPO rows as ms-swift reads them: {@code {"messages": [{"role": "user", "content": ...}], "solution": ..., ...}}
 * in JSONL files. A final assistant message is dropped (the model writes the reply); every other key is a column
 * the rewards receive. A bad row is an error naming {@code file:line}.
 */
public final class GrpoDataset {
    private GrpoDataset() {}

    /**
     * @param system  a system message put first when the row has none (--system), or null
     * @param encoder messages → prompt ids (the chat template with the generation prompt)
     */
    public static List<GrpoPrompt> load(List<DatasetSpec> specs, String system, Function<List<Map<String, Object>>, int[]> encoder) throws IOException {
        ObjectMapper json = new ObjectMapper();
        List<GrpoPrompt> out = new ArrayList<>();
        for (DatasetSpec spec : specs) {
            Path file = spec.file();
            if (!Files.isRegularFile(file)) throw new IllegalArgumentException("--dataset " + file + ": no such file");
            int taken = 0;
            try (BufferedReader in = Files.newBufferedReader(file)) {
                String line;
                for (long n = 1; (line = in.readLine()) != null; n++) {
                    if (line.isBlank()) continue;
                    if (spec.sampleCount() != null && taken == spec.sampleCount()) break;
                    out.add(row(json, line, file + ":" + n, system, encoder));
                    taken++;
                }
            }
        }
        if (out.isEmpty()) throw new IllegalArgumentException("--dataset " + specs + ": no rows");
        return out;
    }

    @SuppressWarnings("unchecked")
    static GrpoPrompt row(ObjectMapper json, String line, String where, String system, Function<List<Map<String, Object>>, int[]> encoder) {
        Map<String, Object> row;
        try {
            row = json.readValue(line, LinkedHashMap.class);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(where + ": not a JSON object: " + e.getOriginalMessage());
        }
        Object m = row.remove("messages");
        if (!(m instanceof List<?> list) || list.isEmpty()) throw new IllegalArgumentException(where + ": \"messages\" must be a non-empty list");
        List<Map<String, Object>> messages = new ArrayList<>();
        for (Object o : list) {
            if (!(o instanceof Map<?, ?> msg) || !(msg.get("role") instanceof String) || !(msg.get("content") instanceof String)) {
                throw new IllegalArgumentException(where + ": every message needs a string \"role\" and \"content\"");
            }
            messages.add((Map<String, Object>) msg);
        }
        if ("assistant".equals(messages.getLast().get("role"))) messages.removeLast();
        if (messages.isEmpty()) throw new IllegalArgumentException(where + ": no prompt message before the reply");
        if (system != null && !"system".equals(messages.getFirst().get("role"))) messages.addFirst(Map.of("role", "system", "content", system));
        row.values().removeIf(Objects::isNull); // a null column is as good as absent (a reward needing it says so)
        return new GrpoPrompt(messages, encoder.apply(messages), row);
    }
}
