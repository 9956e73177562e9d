package io.jswift.train.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jswift.train.encode.EncodedDataset;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code trainer_state.json}: HF Trainer's fields (global_step, epoch, max_steps, log_history, ...) plus what
 * jswift needs to resume exactly: the data position (examples consumed under the seeded order) and the
 * offset of the dropout generator. {@code numInputTokensSeen} (HF's num_input_tokens_seen) is the running total
 * that logging.jsonl logs as TRL's num_tokens; {@code objectiveState} is the {@link Objective#state()} of the step.
 */
record TrainerState(long globalStep, double epoch, long maxSteps, double numTrainEpochs, int loggingSteps, int saveSteps,
                    int evalSteps, int trainBatchSize, long seed, long examplesConsumed, long rngOffset,
                    long numInputTokensSeen, Map<String, Long> objectiveState,
                    List<Map<String, Object>> logHistory, EncodedDataset.Counts dataset) {
    static final String FILE = "trainer_state.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    void write(Path file) throws IOException {
        ObjectNode n = JSON.createObjectNode();
        n.put("global_step", globalStep);
        n.put("epoch", epoch);
        n.put("max_steps", maxSteps);
        n.put("num_train_epochs", numTrainEpochs);
        n.put("logging_steps", loggingSteps);
        n.put("save_steps", saveSteps);
        n.put("eval_steps", evalSteps);
        n.put("train_batch_size", trainBatchSize);
        n.put("seed", seed);
        n.put("examples_consumed", examplesConsumed);
        n.put("rng_offset", rngOffset);
        n.put("num_input_tokens_seen", numInputTokensSeen);
        if (!objectiveState.isEmpty()) n.set("objective_state", JSON.valueToTree(objectiveState));
        if (dataset != null) n.set("dataset", JSON.valueToTree(dataset));
        ArrayNode history = n.putArray("log_history");
        for (Map<String, Object> row : logHistory) history.add(JSON.valueToTree(row));
        JSON.writerWithDefaultPrettyPrinter().writeValue(file.toFile(), n);
    }

    /** Reads a checkpoint's state, naming the file and the key when something needed to resume is missing. */
    static TrainerState read(Path checkpointDir) throws IOException {
        Path file = checkpointDir.resolve(FILE);
        if (!Files.isRegularFile(file)) {
            throw new TrainingException("--resume_from_checkpoint " + checkpointDir + ": no " + FILE + " there (give a checkpoint-STEP directory of a jswift run)");
        }
        JsonNode n;
        try {
            n = JSON.readTree(file.toFile());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new TrainingException(file + ": not valid JSON (" + e.getOriginalMessage() + ")");
        }
        List<Map<String, Object>> history = new ArrayList<>();
        JsonNode h = n.get("log_history");
        if (h != null && h.isArray()) {
            for (JsonNode row : h) history.add(JSON.convertValue(row, Map.class));
        }
        Map<String, Long> objectiveState = new LinkedHashMap<>();
        JsonNode o = n.get("objective_state");
        if (o != null) {
            if (!o.isObject()) throw new TrainingException(file + ": key 'objective_state' is not an object; cannot resume from it");
            for (Map.Entry<String, JsonNode> e : o.properties()) {
                if (!e.getValue().canConvertToLong()) throw new TrainingException(file + ": objective_state." + e.getKey() + " is not an integer; cannot resume from it");
                objectiveState.put(e.getKey(), e.getValue().asLong());
            }
        }
        return new TrainerState(required(n, file, "global_step").asLong(), n.path("epoch").asDouble(), n.path("max_steps").asLong(),
                n.path("num_train_epochs").asDouble(), n.path("logging_steps").asInt(), n.path("save_steps").asInt(),
                n.path("eval_steps").asInt(), n.path("train_batch_size").asInt(), required(n, file, "seed").asLong(),
                required(n, file, "examples_consumed").asLong(), n.path("rng_offset").asLong(),
                n.path("num_input_tokens_seen").asLong(), objectiveState, history, null);
    }

    private static JsonNode required(JsonNode n, Path file, String key) {
        JsonNode v = n.get(key);
        if (v == null || !v.isNumber()) throw new TrainingException(file + ": key '" + key + "' is missing or not a number; cannot resume from it");
        return v;
    }
}
