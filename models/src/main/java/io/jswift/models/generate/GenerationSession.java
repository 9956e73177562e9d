package io.jswift.models.generate;

import io.jswift.models.chat.ChatTemplate;
import io.jswift.models.CausalLm;
import io.jswift.models.tokenizer.Tokenizer;
import io.jswift.models.vision.Qwen2VlPrompts;
import io.jswift.models.vision.VisionInput;
import io.jswift.models.vision.image.Qwen2VlImageConfig;
import io.jswift.models.vision.image.Qwen2VlImageProcessor;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Everything generation needs besides the forward passes, for one model directory: the tokenizer, the chat
 * template, the sampling defaults of generation_config.json and the set of ids that end a reply. `jswift infer`,
 * the server's scheduler and GRPO rollouts all start sequences here; the caller decides how forwards are batched
 * ({@link #generate} runs a static batch, the server a continuous one through {@link #newSequence}).
 */
public final class GenerationSession {
    private final CausalLm model;
    private final Tokenizer tokenizer;
    private final ChatTemplate template;
    private final GenerationConfig config;
    private final int[] eosIds;
    private final Qwen2VlImageProcessor imageProcessor; // null: the model reads no images

    public GenerationSession(CausalLm model, Tokenizer tokenizer, ChatTemplate template, GenerationConfig config) {
        this(model, tokenizer, template, config, null);
    }

    /** As above; {@code imageProcessor} encodes the images of a vision-language model's prompts (null: none). */
    public GenerationSession(CausalLm model, Tokenizer tokenizer, ChatTemplate template, GenerationConfig config,
                             Qwen2VlImageProcessor imageProcessor) {
        this.imageProcessor = imageProcessor;
        this.model = model;
        this.tokenizer = tokenizer;
        this.template = template;
        this.config = config;
        this.eosIds = eosIds(tokenizer, model, config);
    }

    /** Tokenizer, chat template and generation_config.json of {@code modelDir}, for {@code model} loaded from there. */
    public static GenerationSession open(Path modelDir, CausalLm model) throws IOException {
        return new GenerationSession(model, Tokenizer.fromDirectory(modelDir), ChatTemplate.fromDirectory(modelDir),
                GenerationConfig.read(modelDir), model.acceptsImages() ? new Qwen2VlImageProcessor(Qwen2VlImageConfig.fromDirectory(modelDir)) : null);
    }

    /** Any of these ends a reply: the tokenizer's eos, config.json's and generation_config.json's eos_token_id. */
    static int[] eosIds(Tokenizer tokenizer, CausalLm model, GenerationConfig config) {
        Set<Integer> ids = new LinkedHashSet<>();
        if (tokenizer.specialTokens().eos() != null) ids.add(tokenizer.specialTokens().eos());
        for (int id : model.config().eosTokenIds()) ids.add(id);
        ids.addAll(config.eosTokenIds());
        return ids.stream().mapToInt(Integer::intValue).toArray();
    }

    /** Sampling as generation_config.json sets it; callers override with {@code with*}. */
    public SamplingParams defaults(int maxNewTokens, long seed) {
        return config.defaults(maxNewTokens, seed);
    }

    /** Prompt ids of an OpenAI-style message list rendered by the chat template (tools passed to it; null: none). */
    public int[] chatPrompt(List<Map<String, Object>> messages, List<Map<String, Object>> tools) {
        // the template writes the special tokens (bos, role markers) itself, as HF's apply_chat_template(tokenize=True)
        return tokenizer.encode(template.render(messages, true, tools, null), false);
    }

    /** Whether prompts may hold images (a vision-language model opened with its processor settings). */
    public boolean acceptsImages() { return imageProcessor != null; }

    /**
     * A chat prompt whose messages hold image parts, as Qwen2VLProcessor encodes it (generation prompt added): ids with
     * each image's pads expanded, and the images; relative image paths resolve against {@code baseDir}.
     */
    public Qwen2VlPrompts.Encoded imagePrompt(List<Map<String, Object>> messages, List<Map<String, Object>> tools, Path baseDir) throws IOException {
        if (imageProcessor == null) throw new IllegalArgumentException(model.config().architecture() + " reads no images");
        return new Qwen2VlPrompts(tokenizer, template, imageProcessor).encode(messages, true, tools, baseDir);
    }

    /** Prompt ids of raw text (no template), with the tokenizer's special tokens as HF and vLLM's completions API. */
    public int[] textPrompt(String text) {
        return tokenizer.encode(text, true);
    }

    /** A sequence to drive step by step; its text streams and stops at {@code params}' stop strings; topLogprobs < 0: none. */
    public SequenceState newSequence(int[] prompt, SamplingParams params, int topLogprobs) {
        return newSequence(prompt, params, topLogprobs, false);
    }

    /** As above; with {@code ignoreEos} only the budget and stop strings end it (vLLM's ignore_eos, for load tests). */
    public SequenceState newSequence(int[] prompt, SamplingParams params, int topLogprobs, boolean ignoreEos) {
        return new SequenceState(prompt, params, ignoreEos ? new int[0] : eosIds, textStream(params.stopStrings()), topLogprobs);
    }

    /** The reply text of generated ids as a stream of pieces (special tokens skipped), ended by {@code stops}. */
    public TextStream textStream(List<String> stops) {
        return new TextStream(tokenizer.streamingDecoder(true), stops);
    }

    /** Generates for all {@code prompts} as one static batch (see {@link TextGenerator}). */
    public List<TextGenerator.Result> generate(List<int[]> prompts, SamplingParams params, TextGenerator.TokenListener listener) {
        return new TextGenerator(model, eosIds, tokenizer).generate(prompts, params, listener);
    }

    /** As above with the prompts' images (a vision-language model's; null: none). */
    public List<TextGenerator.Result> generate(List<int[]> prompts, VisionInput images, SamplingParams params,
                                               TextGenerator.TokenListener listener) {
        return new TextGenerator(model, eosIds, tokenizer).generate(prompts, images, params, listener);
    }

    public CausalLm model() { return model; }

    public Tokenizer tokenizer() { return tokenizer; }

    public ChatTemplate template() { return template; }

    public GenerationConfig config() { return config; }

    public int[] eosIds() { return eosIds.clone(); }
}
