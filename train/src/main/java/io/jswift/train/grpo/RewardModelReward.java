package io.jswift.train.grpo;

import io.jswift.autograd.GradMode;
import io.jswift.models.adapter.PeftAdapter;
import io.jswift.models.chat.ChatTemplate;
import io.jswift.models.decoder.DecoderClassifier;
import io.jswift.models.load.ClassifierPad;
import io.jswift.models.load.LoadedModel;
import io.jswift.models.load.ModelLoader;
import io.jswift.models.tokenizer.Tokenizer;
import io.jswift.tensor.Device;
import io.jswift.train.encode.Batch;
import io.jswift.train.encode.Collator;
import io.jswift.train.encode.Encoded;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code --reward_model DIR}: a sequence classifier (a reward model: any *ForSequenceClassification checkpoint, e.g.
 * one trained by {@code rlhf --rlhf_type rm} and merged, or a causal LM with the SEQ_CLS adapter of
 * {@code --reward_adapters}) scoring each completion, named by its directory as TRL and ms-swift name the reward
 * column. Its input is formed as TRL 1.13's GRPOTrainer forms it: the prompt's messages plus the completion (decoded
 * with the policy's tokenizer, special tokens skipped) as the assistant turn, the whole conversation rendered by the
 * reward model's own chat template without a generation prompt, tokenized without special tokens; the reward is the
 * first logit at the last token that is not the pad, where the pad is the reward tokenizer's pad token, else its eos
 * (GRPOTrainer sets the reward model's pad_token_id so). No gradients; batches of {@link #CHUNK}.
 */
public final class RewardModelReward implements RewardFunction {
    static final int CHUNK = 16;

    private final String name;
    private final DecoderClassifier model;
    private final Tokenizer tokenizer;
    private final ChatTemplate template;
    private final Integer pad;

    RewardModelReward(String name, DecoderClassifier model, Tokenizer tokenizer, ChatTemplate template) {
        this.name = name;
        this.model = model;
        this.tokenizer = tokenizer;
        this.template = template;
        Integer tokenizerPad = ClassifierPad.ofTokenizer(tokenizer);
        this.pad = tokenizerPad != null ? tokenizerPad : model.padTokenId();
    }

    /**
     * Loads the reward model in {@code dir} (frozen) onto {@code device}; with {@code adapter} (or null) a PEFT SEQ_CLS
     * adapter applied to it, as ms-swift's --reward_adapters. The tokenizer and chat template are {@code dir}'s.
     */
    public static RewardModelReward load(Path dir, Path adapter, Device device) throws IOException {
        if (!Files.isDirectory(dir)) throw new IllegalArgumentException("--reward_model " + dir + " is not a directory");
        if (Files.isRegularFile(dir.resolve("adapter_config.json"))) {
            throw new IllegalArgumentException("--reward_model " + dir + " is an adapter: pass its base model as --reward_model and the adapter as --reward_adapters "
                    + dir + " (or merge it: jswift export --adapters " + dir + " --merge_lora true)");
        }
        if (!Files.isRegularFile(dir.resolve("tokenizer.json"))) {
            throw new IllegalArgumentException("--reward_model " + dir + " has no tokenizer.json: a reward model scores with its own tokenizer and chat template");
        }
        LoadedModel loaded = ModelLoader.load(dir, false);
        if (adapter != null) {
            if (!Files.isRegularFile(adapter.resolve("adapter_config.json"))) {
                throw new IllegalArgumentException("--reward_adapters " + adapter + " has no adapter_config.json (expected a PEFT adapter directory)");
            }
            loaded = PeftAdapter.apply(loaded, adapter, dir);
        }
        if (!(loaded instanceof LoadedModel.SequenceClassifier cls)) {
            throw new IllegalArgumentException(adapter != null
                    ? "--reward_adapters " + adapter + " does not make --reward_model " + dir + " a sequence classifier: it is not a SEQ_CLS adapter "
                            + "(one that saves a score head, as rlhf --rlhf_type rm writes with LoRA)"
                    : "--reward_model " + dir + " is not a sequence classifier (*ForSequenceClassification, e.g. a reward model trained by jswift rlhf "
                            + "--rlhf_type rm; a causal LM needs its SEQ_CLS adapter in --reward_adapters)");
        }
        DecoderClassifier model = cls.model();
        model.to(device);
        Path name = dir.toAbsolutePath().normalize().getFileName();
        return new RewardModelReward(name == null ? dir.toString() : name.toString(), model, Tokenizer.fromDirectory(dir), ChatTemplate.fromDirectory(dir));
    }

    @Override
    public String name() { return name; }

    @Override
    public double[] score(List<Sample> completions) {
        double[] out = new double[completions.size()];
        for (int start = 0; start < out.length; start += CHUNK) {
            int end = Math.min(out.length, start + CHUNK);
            List<Encoded> sequences = new ArrayList<>();
            int[] last = new int[end - start];
            for (int i = start; i < end; i++) {
                int[] ids = inputIds(completions.get(i));
                int[] ignored = new int[ids.length];
                Arrays.fill(ignored, Encoded.IGNORE);
                sequences.add(new Encoded(ids, ignored));
                last[i - start] = DecoderClassifier.lastNonPad(ids, pad);
            }
            // right padding under causal attention: a row's tokens never see the padding after them
            Batch batch = Collator.collate(sequences).to(model.device());
            try (GradMode.Scope ignored = GradMode.noGrad()) {
                float[] logits = model.pooled(model.decoder().hiddenStates(batch.decoderInput(false)), last).value().to(Device.CPU).toFloatArray();
                for (int i = 0; i < last.length; i++) out[start + i] = logits[i * model.numLabels()];
            }
        }
        return out;
    }

    /** The token ids the reward model reads for one completion (TRL: apply_chat_template, then add_special_tokens=False). */
    int[] inputIds(Sample s) {
        int[] ids = tokenizer.encode(text(s), false);
        if (ids.length == 0) throw new IllegalArgumentException("--reward_model " + name + ": its chat template renders a conversation to no tokens");
        return ids;
    }

    /** The conversation rendered by the reward model's chat template: the prompt's messages, then the completion as the assistant's reply. */
    String text(Sample s) {
        List<Map<String, Object>> messages = new ArrayList<>(s.messages());
        Map<String, Object> reply = new LinkedHashMap<>();
        reply.put("role", "assistant");
        reply.put("content", s.completion());
        messages.add(reply);
        try {
            return template.render(messages, false, null, null);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--reward_model " + name + ": " + e.getMessage(), e);
        }
    }
}
