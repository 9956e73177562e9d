package io.jswift.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jswift.models.adapter.PeftAdapter;
import io.jswift.models.chat.ChatTemplate;
import io.jswift.models.CausalLm;
import io.jswift.models.arch.Architectures;
import io.jswift.models.generate.SamplingParams;
import io.jswift.models.generate.TextGenerator;
import io.jswift.models.load.LoadedModel;
import io.jswift.models.load.ModelLoader;
import io.jswift.models.tokenizer.Tokenizer;
import io.jswift.tensor.Device;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;

/**
 * {@code jswift infer}: chat with a causal LM through its own chat template; tokens stream as they are
 * generated. With {@code --prompt} it answers once and exits, otherwise it reads turns from standard input
 * (an empty line or "exit" ends). Sampling defaults come from generation_config.json; flags override them.
 */
@Command(name = "infer", description = "Chat with a model (one --prompt, or interactively on standard input).")
final class InferCommand implements Callable<Integer> {
    @Option(names = "--model", description = "Hugging Face model directory (default with --adapters: the adapter's base model).") Path model;
    @Option(names = "--adapters", description = "LoRA adapter directory (PEFT format).") Path adapters;
    @Option(names = "--prompt", description = "Answer this user message and exit.") String prompt;
    @Option(names = "--system", description = "System message.") String system;
    @Option(names = "--max_new_tokens", defaultValue = "512") int maxNewTokens;
    @Option(names = "--temperature", description = "0 = greedy (default: generation_config.json, else 0).") Double temperature;
    @Option(names = "--top_p") Double topP;
    @Option(names = "--top_k") Integer topK;
    @Option(names = "--repetition_penalty") Double repetitionPenalty;
    @Option(names = "--seed", defaultValue = "42") long seed;
    @Option(names = "--device", defaultValue = "cpu", description = DeviceOption.DESCRIPTION) String device;
    @Option(names = "--verbose", description = "Print stack traces on errors.") boolean verbose;

    @Override
    public Integer call() throws Exception {
        Device dev = DeviceOption.open(device);
        model = AdapterBase.modelOrBase(model, adapters);
        if (!(ModelLoader.load(model, false) instanceof LoadedModel.CausalLm lm)) {
            throw new IllegalArgumentException(model + " is not a causal language model: jswift infer chats with " + Architectures.supportedCausalLms());
        }
        if (adapters != null) PeftAdapter.load(adapters, lm.model());
        lm.model().to(dev); // loaded on the host (memory-mapped), then copied to the device as a whole
        Tokenizer tokenizer = Tokenizer.fromDirectory(model);
        ChatTemplate template = ChatTemplate.fromDirectory(model);
        SamplingParams params = sampling();
        TextGenerator generator = new TextGenerator(lm.model(), eosIds(lm.model(), tokenizer), ids -> tokenizer.decode(ids, true));
        List<Map<String, Object>> history = new ArrayList<>();
        if (system != null) history.add(Map.of("role", "system", "content", system));
        PrintStream out = System.out;
        if (prompt != null) {
            answer(prompt, history, template, tokenizer, generator, params, out);
            return 0;
        }
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        while (true) {
            out.print("<<< ");
            out.flush();
            String line = in.readLine();
            if (line == null || line.isBlank() || line.strip().equals("exit")) return 0;
            answer(line, history, template, tokenizer, generator, params, out);
        }
    }

    private static void answer(String user, List<Map<String, Object>> history, ChatTemplate template, Tokenizer tokenizer,
                               TextGenerator generator, SamplingParams params, PrintStream out) {
        history.add(Map.of("role", "user", "content", user));
        int[] ids = tokenizer.encode(template.render(history, true, null, null), false);
        // HF's DecodeStream: text appears once its UTF-8 characters are complete, each token decoded in context
        io.jswift.models.tokenizer.StreamingDecoder stream = tokenizer.streamingDecoder(true);
        TextGenerator.Result r = generator.generate(List.of(ids), params, (row, token) -> {
            String piece = stream.step(token);
            if (piece != null) {
                out.print(piece);
                out.flush();
            }
        }).get(0);
        out.println();
        history.add(Map.of("role", "assistant", "content", tokenizer.decode(r.tokens(), true)));
    }

    private SamplingParams sampling() throws java.io.IOException {
        Path file = model.resolve("generation_config.json");
        JsonNode g = Files.exists(file) ? new ObjectMapper().readTree(file.toFile()) : null;
        boolean sample = g != null && g.path("do_sample").asBoolean(false);
        double t = temperature != null ? temperature : sample ? g.path("temperature").asDouble(1.0) : 0;
        double p = topP != null ? topP : sample ? g.path("top_p").asDouble(1.0) : 1.0;
        int k = topK != null ? topK : sample ? g.path("top_k").asInt(0) : 0;
        double rep = repetitionPenalty != null ? repetitionPenalty : g == null ? 1.0 : g.path("repetition_penalty").asDouble(1.0);
        return new SamplingParams(maxNewTokens, t, k, p, rep, seed, List.of());
    }

    /** eos from the tokenizer config, config.json and generation_config.json (any of them ends a reply). */
    private int[] eosIds(CausalLm m, Tokenizer tokenizer) throws java.io.IOException {
        Set<Integer> ids = new LinkedHashSet<>();
        if (tokenizer.specialTokens().eos() != null) ids.add(tokenizer.specialTokens().eos());
        for (int id : m.config().eosTokenIds()) ids.add(id);
        Path gen = model.resolve("generation_config.json");
        if (Files.exists(gen)) {
            JsonNode e = new ObjectMapper().readTree(gen.toFile()).get("eos_token_id");
            if (e != null && e.isInt()) ids.add(e.asInt());
            if (e != null && e.isArray()) for (JsonNode x : e) ids.add(x.asInt());
        }
        return ids.stream().mapToInt(Integer::intValue).toArray();
    }
}
