package io.jswift.train.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jswift.autograd.ops.Elementwise;
import io.jswift.models.CausalLm;
import io.jswift.models.load.LoadedModel;
import io.jswift.models.load.ModelLoader;
import io.jswift.train.data.DatasetSpec;
import io.jswift.train.encode.Encoded;
import io.jswift.train.encode.EncodedDataset;
import io.jswift.train.encode.PretrainEncoder;
import io.jswift.train.plot.Curve;
import io.jswift.train.plot.TrainingLog;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A {@code pt} run leaves ms-swift's images/ folder, drawn from its own logging.jsonl, and logs TRL's num_tokens. */
class TrainingPlotsRunTest {
    private static final Path MODELS = Path.of("../models/src/test/resources/models").toAbsolutePath().normalize();

    @TempDir
    Path dir;

    /** 8 pre-tokenized rows; returns their token count. */
    private long writeRows(Path data) throws Exception {
        StringBuilder rows = new StringBuilder();
        Random r = new Random(5);
        long datasetTokens = 0;
        for (int i = 0; i < 8; i++) {
            int n = 4 + r.nextInt(9);
            datasetTokens += n;
            rows.append("{\"input_ids\": [");
            for (int j = 0; j < n; j++) rows.append(j == 0 ? "" : ", ").append(1 + r.nextInt(120));
            rows.append("]}\n");
        }
        Files.writeString(data, rows);
        return datasetTokens;
    }

    @Test
    void ptRunDrawsItsLogAndCountsTokens() throws Exception {
        Path data = dir.resolve("rows.jsonl");
        long datasetTokens = writeRows(data);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        // 8 rows, 2 per step: every 4 steps is one epoch, so num_tokens counts the dataset once per epoch
        TrainArgs args = TrainArgs.builder(MODELS.resolve("qwen3-f32"), List.of(DatasetSpec.parse(data.toString())), dir.resolve("out"))
                .learningRate(3e-3).maxSteps(8).perDeviceTrainBatchSize(2).saveSteps(4).loggingSteps(1).seed(11).build();
        Path run = new PretrainingRun(args, new PrintStream(out, true, StandardCharsets.UTF_8)).run();
        assertFalse(out.toString(StandardCharsets.UTF_8).contains("warning"), out.toString(StandardCharsets.UTF_8));

        List<JsonNode> log = new ArrayList<>();
        for (String line : Files.readAllLines(run.resolve("logging.jsonl"))) log.add(new ObjectMapper().readTree(line));
        assertEquals(8, log.size());
        assertEquals(datasetTokens, log.get(3).get("num_tokens").asLong());
        assertEquals(2 * datasetTokens, log.get(7).get("num_tokens").asLong());
        for (int i = 1; i < 8; i++) assertTrue(log.get(i).get("num_tokens").asLong() > log.get(i - 1).get("num_tokens").asLong());

        for (String name : List.of("train_loss.png", "train_learning_rate.png", "train_grad_norm.png", "train_num_tokens.png", "train_epoch.png")) {
            assertTrue(Files.size(run.resolve("images").resolve(name)) > 0, name);
        }
        // what is drawn is what was logged
        List<Curve> curves = TrainingLog.read(run.resolve("logging.jsonl")).curves();
        Curve loss = curves.stream().filter(c -> c.tag().equals("train/loss")).findFirst().orElseThrow();
        Curve lr = curves.stream().filter(c -> c.tag().equals("train/learning_rate")).findFirst().orElseThrow();
        for (int i = 0; i < 8; i++) {
            assertEquals(log.get(i).get("step").asDouble(), loss.steps()[i]);
            assertEquals(log.get(i).get("loss").asDouble(), loss.values()[i]);
            assertEquals(log.get(i).get("lr").asDouble(), lr.values()[i]);
        }
        assertArrayEquals(new double[] {1, 2, 3, 4, 5, 6, 7, 8}, loss.steps());
    }

    @Test
    void aRunStoppedByAnErrorStillDrawsWhatItLogged() throws Exception {
        Path data = dir.resolve("rows.jsonl");
        writeRows(data);
        TrainArgs args = TrainArgs.builder(MODELS.resolve("qwen3-f32"), List.of(DatasetSpec.parse(data.toString())), dir.resolve("out"))
                .learningRate(3e-3).maxSteps(6).perDeviceTrainBatchSize(2).saveSteps(0).loggingSteps(1).seed(11).build();
        CausalLm model = ((LoadedModel.CausalLm) ModelLoader.load(args.model(), true)).model();
        EncodedDataset.Splits splits = EncodedDataset.load(args.datasets(), args.valDatasets(), new PretrainEncoder(null),
                args.datasetOptions(model.config().vocabSize()));
        CausalLmObjective lm = new CausalLmObjective(model, false);
        // the third step's loss is NaN: the loop stops there, before its only (final) checkpoint
        Objective<Encoded> nanAtStep3 = new Objective<>() {
            int calls;
            @Override public double normalizer(List<List<Encoded>> micro) { return lm.normalizer(micro); }
            @Override public Step forward(List<Encoded> rows, double normalizer) {
                Step s = lm.forward(rows, normalizer);
                return ++calls < 3 ? s : new Step(Elementwise.scale(s.loss(), Double.NaN), s.tokens(), s.metrics());
            }
            @Override public Evaluation evaluate(List<Encoded> rows) { return lm.evaluate(rows); }
        };
        RunSetup setup = new RunSetup("pt", args, model, new FullWeights(model, model.config().dtype(), args.model()), null,
                PretrainingRun.argsJson(args), new PrintStream(OutputStream.nullOutputStream()));
        TrainingException e = assertThrows(TrainingException.class, () -> TrainingLoop.run(setup, nanAtStep3, splits));
        assertTrue(e.getMessage().startsWith("step 3: loss is NaN"), e.getMessage());
        Path run;
        try (var s = Files.list(dir.resolve("out"))) {
            run = s.findFirst().orElseThrow();
        }
        assertFalse(Files.exists(run.resolve("checkpoint-6")));
        Curve loss = TrainingLog.read(run.resolve("logging.jsonl")).curves().getFirst();
        assertArrayEquals(new double[] {1, 2}, loss.steps());
        assertTrue(Files.size(run.resolve("images/train_loss.png")) > 0, "steps 1 and 2 are drawn although no checkpoint was saved");
    }
}
