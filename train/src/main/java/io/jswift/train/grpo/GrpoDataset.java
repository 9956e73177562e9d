package io.jswift.train.grpo;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jswift.train.data.DatasetSpec;
import io.jswift.train.encode.RowSelection;

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
 * the rewards receive. A bad row is an error naming {@code file:line}. Rows are selected as {@code sft} selects them
 * ({@link RowSelection}: {@code FILE#N} seeded, --split_dataset_ratio sets rows aside for evaluation, --val_dataset
 * files are evaluation prompts).
 */
public final class GrpoDataset {
    private GrpoDataset() {}

    /** Training prompts and evaluation prompts (null: no evaluation). */
    public record Splits(List<GrpoPrompt> train, List<GrpoPrompt> validation) {}

    /**
     * @param system  a system message put first when the row has none (--system), or null
     * @param encoder messages → prompt ids (the chat template with the generation prompt)
     */
    public static Splits load(List<DatasetSpec> train, List<DatasetSpec> validation, double splitRatio, long seed, String system,
                              Function<List<Map<String, Object>>, int[]> encoder) throws IOException {
        if (!validation.isEmpty() && splitRatio > 0) throw new IllegalArgumentException("give --val_dataset or --split_dataset_ratio, not both");
        ObjectMapper json = new ObjectMapper();
        List<GrpoPrompt> trainRows = new ArrayList<>(), validationRows = new ArrayList<>();
        for (int k = 0; k < train.size(); k++) {
            DatasetSpec spec = train.get(k);
            List<GrpoPrompt> rows = read(json, spec, "--dataset", system, encoder);
            RowSelection.Split split = RowSelection.split(rows.size(), spec.sampleCount(), splitRatio, seed + k, spec.file().toString());
            for (int i : split.train()) trainRows.add(rows.get(i));
            for (int i : split.validation()) validationRows.add(rows.get(i));
        }
        for (int k = 0; k < validation.size(); k++) {
            DatasetSpec spec = validation.get(k);
            List<GrpoPrompt> rows = read(json, spec, "--val_dataset", system, encoder);
            for (int i : RowSelection.split(rows.size(), spec.sampleCount(), 0, seed + train.size() + k, spec.file().toString()).train()) validationRows.add(rows.get(i));
        }
        if (trainRows.isEmpty()) throw new IllegalArgumentException("--dataset " + train + ": no rows");
        return new Splits(trainRows, validationRows.isEmpty() ? null : validationRows);
    }

    private static List<GrpoPrompt> read(ObjectMapper json, DatasetSpec spec, String flag, String system, Function<List<Map<String, Object>>, int[]> encoder)
            throws IOException {
        Path file = spec.file();
        if (!Files.isRegularFile(file)) throw new IllegalArgumentException(flag + " " + file + ": no such file");
        List<GrpoPrompt> rows = new ArrayList<>();
        try (BufferedReader in = Files.newBufferedReader(file)) {
            String line;
            for (long n = 1; (line = in.readLine()) != null; n++) {
                if (!line.isBlank()) rows.add(row(json, line, file + ":" + n, system, encoder));
            }
        }
        if (rows.isEmpty()) throw new IllegalArgumentException(flag + " " + file + ": no rows");
        return rows;
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
