package io.jswift.train.grpo;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.jswift.train.run.RunDirectory;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * {@code --log_completions true}: completions.jsonl in the run directory, one line per scored completion: ms-swift's
 * fields (step, prompt, completion, one column per reward named as the function, advantages) plus prompt_ids and
 * completion_ids (exactly as sampled, the eos included when it was sampled). The step is the optimizer step the
 * completion was generated for (1-based).
 */
public final class CompletionsLog implements Consumer<GrpoObjective.Scored>, AutoCloseable {
    private final ObjectMapper json = new ObjectMapper();
    private final Path outputDir;
    private BufferedWriter out;

    /** Writes into the run directory the training loop creates under {@code outputDir} (opened at the first completion). */
    public CompletionsLog(Path outputDir) {
        this.outputDir = outputDir;
    }

    @Override
    public void accept(GrpoObjective.Scored s) {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("step", s.generation() + 1);
        row.put("prompt", s.prompt().messages());
        row.put("completion", s.completion());
        row.putAll(s.rewards());
        row.put("advantages", s.advantage());
        row.put("prompt_ids", s.rollout().promptIds());
        row.put("completion_ids", s.rollout().completionIds());
        try {
            if (out == null) {
                Path run = RunDirectory.latest(outputDir);
                if (run == null) throw new IllegalStateException("no run directory under " + outputDir);
                out = Files.newBufferedWriter(run.resolve("completions.jsonl"));
            }
            out.write(json.writeValueAsString(row));
            out.newLine();
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("completions.jsonl: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() throws IOException {
        if (out != null) out.close();
    }
}
