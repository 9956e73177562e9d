package io.jswift.train.plot;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The curves of a run's {@code logging.jsonl}: every numeric key of every row, against the row's {@code step}, named
 * as transformers' TensorBoardCallback names them ({@code rewrite_logs}: {@code eval_X} → {@code eval/X}, every
 * other key → {@code train/KEY}) — those tags are what ms-swift plots. A line that is not a JSON object with a
 * numeric {@code step} is skipped with a warning naming {@code file:line}; a value that is not a finite number (a
 * string, {@code NaN}) is left out of its curve, as TensorBoardCallback drops values that are not numbers.
 */
public final class TrainingLog {
    /** The warnings of one file are capped; the last one says how many more lines were skipped. */
    static final int MAX_WARNINGS = 5;
    private static final JsonMapper JSON = JsonMapper.builder().enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS).build();

    /** @param curves in the order their keys first appear in the log */
    public record Parsed(List<Curve> curves, List<String> warnings) {}

    private TrainingLog() {}

    /** The TensorBoard tag of a logging.jsonl key. jswift logs the learning rate as {@code lr}, HF as {@code learning_rate}. */
    public static String tag(String key) {
        if (key.equals("lr")) return "train/learning_rate";
        if (key.startsWith("eval_")) return "eval/" + key.substring("eval_".length());
        if (key.startsWith("test_")) return "test/" + key.substring("test_".length());
        return "train/" + key;
    }

    public static Parsed read(Path file) throws IOException {
        Map<String, List<double[]>> points = new LinkedHashMap<>();
        List<String> warnings = new ArrayList<>();
        int skipped = 0, lineNo = 0;
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            for (String line; (line = in.readLine()) != null; ) {
                lineNo++;
                if (line.isBlank()) continue;
                String problem = add(line, points);
                if (problem == null) continue;
                if (++skipped <= MAX_WARNINGS) warnings.add(file + ":" + lineNo + ": " + problem + "; line left out of the plots");
            }
        }
        if (skipped > MAX_WARNINGS) warnings.add(file + ": " + (skipped - MAX_WARNINGS) + " more bad lines left out of the plots");
        List<Curve> curves = new ArrayList<>();
        points.forEach((tag, list) -> {
            double[] steps = new double[list.size()], values = new double[list.size()];
            for (int i = 0; i < list.size(); i++) {
                steps[i] = list.get(i)[0];
                values[i] = list.get(i)[1];
            }
            curves.add(new Curve(tag, steps, values));
        });
        return new Parsed(curves, warnings);
    }

    /** Adds one row's points; returns why the line is unusable, or null. */
    private static String add(String line, Map<String, List<double[]>> points) {
        JsonNode row;
        try {
            row = JSON.readTree(line);
        } catch (JsonProcessingException e) {
            return "not JSON (" + e.getOriginalMessage() + ")";
        }
        if (row == null || !row.isObject()) return "not a JSON object";
        JsonNode step = row.get("step");
        if (step == null || !step.isNumber()) return "no numeric \"step\"";
        for (Map.Entry<String, JsonNode> e : row.properties()) {
            if (e.getKey().equals("step") || !e.getValue().isNumber()) continue;
            double v = e.getValue().asDouble();
            if (Double.isFinite(v)) points.computeIfAbsent(tag(e.getKey()), k -> new ArrayList<>()).add(new double[] {step.asDouble(), v});
        }
        return null;
    }
}
