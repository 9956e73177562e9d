package io.jswift.cli;

import io.jswift.models.CausalLm;
import io.jswift.models.generate.GenerationSession;
import io.jswift.models.generate.SamplingParams;
import io.jswift.models.generate.TextStream;
import io.jswift.models.generate.TextGenerator;
import io.jswift.models.vision.ImageMessages;
import io.jswift.models.vision.Qwen2VlPrompts;
import io.jswift.models.vision.VisionInput;
import io.jswift.tensor.Device;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code jswift infer}: chat with a causal LM through its own chat template; tokens stream as they are
 * generated. A vision-language model takes {@code --images} for the first prompt (ms-swift's {@code <image>} tags). With {@code --prompt} it answers once and exits, otherwise it reads turns from standard input
 * (an empty line or "exit" ends). Sampling defaults come from generation_config.json; flags override them.
 */
@Command(name = "infer", description = "Chat with a model (one --prompt, or interactively on standard input).")
final class InferCommand implements Callable<Integer> {
    @Option(names = "--model", description = "Hugging Face model directory (default with --adapters: the adapter's base model).") Path model;
    @Option(names = "--adapters", description = "LoRA adapter directory (PEFT format).") Path adapters;
    @Option(names = "--prompt", description = "Answer this user message and exit.") String prompt;
    @Option(names = "--system", description = "System message.") String system;
    @Option(names = "--images", arity = "1..*", description = "Image files for the (first) prompt, placed at its <image> tags as ms-swift "
            + "does (untagged images go first); vision-language models (Qwen2-VL, Qwen2.5-VL).") List<String> images;
    @Option(names = "--max_new_tokens", defaultValue = "512") int maxNewTokens;
    @Option(names = "--temperature", description = "0 = greedy (default: generation_config.json, else 0).") Double temperature;
    @Option(names = "--top_p") Double topP;
    @Option(names = "--top_k") Integer topK;
    @Option(names = "--repetition_penalty") Double repetitionPenalty;
    @Option(names = "--seed", defaultValue = "42") long seed;
    @Option(names = "--device", defaultValue = "cpu", description = DeviceOption.DESCRIPTION) String device;
    @Mixin QuantOptions quant;
    @Option(names = "--verbose", description = "Print stack traces on errors.") boolean verbose;

    @Override
    public Integer call() throws Exception {
        Device dev = DeviceOption.open(device);
        model = AdapterBase.modelOrBase(model, adapters);
        CausalLm lm = ModelToRun.causalLm(model, adapters, quant, dev, "infer chats with");
        if (images != null && !lm.acceptsImages()) {
            throw new IllegalArgumentException("--images: " + lm.config().architecture() + " is a text-only model (vision-language models: "
                    + "Qwen2VLForConditionalGeneration, Qwen2_5_VLForConditionalGeneration)");
        }
        GenerationSession session = GenerationSession.open(model, lm);
        Qwen2VlPrompts vision = lm.acceptsImages() ? Qwen2VlPrompts.fromDirectory(model) : null;
        SamplingParams params = sampling(session);
        List<Map<String, Object>> history = new ArrayList<>();
        if (system != null) history.add(Map.of("role", "system", "content", system));
        PrintStream out = System.out;
        if (prompt != null) {
            answer(prompt, history, session, vision, params, out);
            return 0;
        }
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        while (true) {
            out.print("<<< ");
            out.flush();
            String line = in.readLine();
            if (line == null || line.isBlank() || line.strip().equals("exit")) return 0;
            answer(line, history, session, vision, params, out);
        }
    }

    /** One turn; the first user turn takes --images (relative paths from the working directory). */
    private void answer(String user, List<Map<String, Object>> history, GenerationSession session, Qwen2VlPrompts vision,
                        SamplingParams params, PrintStream out) throws java.io.IOException {
        history.add(Map.of("role", "user", "content", user));
        boolean first = history.stream().filter(m -> "user".equals(m.get("role"))).count() == 1;
        if (first && images != null) {
            List<Map<String, Object>> tagged = ImageMessages.withTaggedImages(history, images);
            history.clear();
            history.addAll(tagged);
        }
        int[] ids;
        VisionInput pixels = null;
        if (vision != null) {
            Qwen2VlPrompts.Encoded e = vision.encode(history, true, null, Path.of("").toAbsolutePath());
            ids = e.ids();
            pixels = e.images();
        } else {
            ids = session.chatPrompt(history, null);
        }
        TextStream text = session.textStream(params.stopStrings());
        TextGenerator.Result r = session.generate(List.of(ids), pixels, params, (row, token) -> {
            out.print(text.push(token));
            out.flush();
        }).get(0);
        out.println();
        history.add(Map.of("role", "assistant", "content", session.tokenizer().decode(r.tokens(), true)));
    }

    /** generation_config.json's sampling, each flag given overriding it. */
    private SamplingParams sampling(GenerationSession session) {
        SamplingParams p = session.defaults(maxNewTokens, seed);
        if (temperature != null) p = p.withTemperature(temperature);
        if (topP != null) p = p.withTopP(topP);
        if (topK != null) p = p.withTopK(topK);
        if (repetitionPenalty != null) p = p.withRepetitionPenalty(repetitionPenalty);
        return p;
    }
}
