package io.jswift.models.qwen2vl;

import io.jswift.autograd.Variable;
import io.jswift.autograd.ops.Views;
import io.jswift.models.CausalLm;
import io.jswift.models.config.DecoderConfig;
import io.jswift.models.config.Qwen2VlConfig;
import io.jswift.models.decoder.BatchKvCache;
import io.jswift.models.decoder.DecoderInput;
import io.jswift.models.decoder.DecoderStack;
import io.jswift.models.decoder.KvCache;
import io.jswift.models.decoder.LmHead;
import io.jswift.models.vision.PromptImages;
import io.jswift.models.vision.VisionInput;
import io.jswift.nn.Linear;
import io.jswift.nn.LinearBase;
import io.jswift.nn.Module;
import io.jswift.nn.RopeScaling;
import io.jswift.nn.RotaryEmbedding;
import io.jswift.nn.lora.LoraLinear;
import io.jswift.tensor.Device;
import io.jswift.tensor.Generator;
import io.jswift.tensor.Tensor;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * Qwen2VLForConditionalGeneration and Qwen2_5_VLForConditionalGeneration with transformers 5's module names (what PEFT
 * adapters name): {@code model.visual.*} (the vision tower and its merger), {@code model.language_model.*} (the Qwen2
 * decoder: the shared {@link DecoderStack}) and {@code lm_head} (absent when tied); checkpoints in the hub's layout
 * ({@code visual.*}, {@code model.*}) are renamed as they load and save ({@link Qwen2VlLayout}). A forward with images runs the tower, puts its features at the
 * {@code <|image_pad|>} tokens in order (masked_scatter), and rotates with M-RoPE: per-axis positions from
 * {@link MropeIndex}, the rotary half-dims split by mrope_section between the temporal, height and width positions.
 * The prefill's rope deltas are kept with the KV cache so that each decode step rotates at index + delta, as
 * transformers does with {@code model.rope_deltas}. Dims: B batch, T tokens, C hidden, V vocab, R rotary dims.
 */
public final class Qwen2VlForConditionalGeneration extends CausalLm {
    private final Qwen2VlConfig config;
    private final DecoderStack model;
    private final Qwen2VlVisionTower visual;
    private final LmHead head;
    private final RotaryEmbedding rotary;

    /** {@code gen} initializes weights randomly; null builds meta tensors to be replaced by a checkpoint. */
    public Qwen2VlForConditionalGeneration(Qwen2VlConfig config, Generator gen) {
        this.config = config;
        DecoderConfig text = config.text();
        Inner inner = registerModule("model", new Inner());
        this.visual = inner.add("visual", new Qwen2VlVisionTower(config.vision(), gen));
        this.model = inner.add("language_model", new DecoderStack(text, gen));
        if (!text.tieWordEmbeddings()) registerModule("lm_head", new Linear(text.hiddenSize(), text.vocabSize(), false, gen));
        this.head = new LmHead(this, model, text);
        this.rotary = new RotaryEmbedding(text.rope().rotaryDim(text.attention().headDim()), text.rope().theta(), RopeScaling.NONE);
    }

    @Override
    public DecoderConfig config() { return config.text(); }

    public Qwen2VlConfig vlConfig() { return config; }

    @Override
    public boolean acceptsImages() { return true; }

    public Qwen2VlVisionTower visual() { return visual; }

    @Override
    public Variable forward(DecoderInput in, int logitsToKeep) { return forward(in, null, logitsToKeep); }

    @Override
    public Variable forward(DecoderInput in, VisionInput images, int logitsToKeep) {
        if (logitsToKeep < 0) throw new IllegalArgumentException("logitsToKeep must be >= 0, got " + logitsToKeep);
        Variable h = hiddenStates(in, images);
        int t = h.size(1);
        if (logitsToKeep > 0 && logitsToKeep < t) h = Views.narrow(h, 1, t - logitsToKeep, logitsToKeep);
        return head.logits(h);
    }

    @Override
    public Variable logitsFromHidden(Variable hidden) { return head.logits(hidden); }

    @Override
    public Variable plainHeadWeight() { return head.plainWeight(); }

    @Override
    public Variable causalLmLoss(DecoderInput in, Tensor labels, double numItemsInBatch) {
        return causalLmLoss(in, null, labels, numItemsInBatch);
    }

    @Override
    public Variable causalLmLoss(DecoderInput in, VisionInput images, Tensor labels, double numItemsInBatch) {
        return head.loss(hiddenStates(in, images), labels, numItemsInBatch);
    }

    @Override
    public Variable hiddenStates(DecoderInput in) { return hiddenStates(in, null); }

    @Override
    public Variable hiddenStates(DecoderInput in, VisionInput images) {
        // M-RoPE positions come from the token layout (image grids), not from a packed row's position ids
        if (in.sharedPrefix()) throw new IllegalArgumentException(config().architecture() + " takes no shared-prefix rows (sharesPrefixes() is false)");
        int b = in.inputIds().size(0), t = in.inputIds().size(1);
        Device device = model.embedTokens().weight().device();
        long[] ids = in.inputIds().to(Device.CPU).toLongArray();
        int imageTokens = 0;
        for (long id : ids) if (id == config.imageTokenId()) imageTokens++;
        // a batch of per-sequence caches (the server's decode step) is never a prefill, and has no single length
        boolean prefill = in.cache() == null || (!(in.cache() instanceof BatchKvCache) && in.cache().length() == 0);
        if (images != null && !prefill) throw new IllegalArgumentException("images go with the prefill, not with a cached decode step");
        if (imageTokens > 0 && prefill && images == null) {
            throw new IllegalArgumentException("the input holds " + imageTokens + " image tokens (id " + config.imageTokenId() + ") but no images were given");
        }
        Variable x = model.embedTokens().forward(in.inputIds());
        long[] positions; // [3, B, T]
        if (images != null) {
            x = scatterImages(x, visual.forward(images), ids, imageTokens);
            int[] segments = in.segmentIds() == null ? null : toInts(in.segmentIds().to(Device.CPU).toLongArray());
            MropeIndex index = MropeIndex.of(ids, segments, b, t, config.imageTokenId(), images.grids(), config.vision().spatialMergeSize());
            positions = index.positions();
            if (in.cache() != null) in.cache().ropeDeltas(index.deltas());
        } else {
            positions = MropeIndex.shifted(textPositions(in, b, t), in.cache() == null ? null : in.cache().ropeDeltas(), b, t);
        }
        RotaryEmbedding.Tables rope = tables(positions, b, t).to(device);
        return model.forward(x, rope, rope, in);
    }

    @Override
    public PromptImages encodeImages(long[] prompt, VisionInput images) {
        int imageTokens = 0;
        for (long id : prompt) if (id == config.imageTokenId()) imageTokens++;
        Variable features = visual.forward(images);
        if (features.size(0) != imageTokens) {
            throw new IllegalArgumentException("Image features and image tokens do not match: " + imageTokens + " image tokens, "
                    + features.size(0) + " features from the images");
        }
        MropeIndex index = MropeIndex.of(prompt, null, 1, prompt.length, config.imageTokenId(), images.grids(), config.vision().spatialMergeSize());
        return new PromptImages(prompt.clone(), features, index.positions(), index.deltas()[0]);
    }

    /**
     * A chunk of a prompt with images (see CausalLm#forwardChunk): the chunk's image tokens take the next rows of the
     * prompt's features (those before it went in with earlier chunks), its tokens the prompt's M-RoPE positions, and the
     * cache the prompt's rope delta, so the chunks together compute what one prefill of the whole prompt does.
     */
    @Override
    public Variable forwardChunk(DecoderInput in, PromptImages images, int from, int logitsToKeep) {
        if (logitsToKeep < 0) throw new IllegalArgumentException("logitsToKeep must be >= 0, got " + logitsToKeep);
        if (in.inputIds().size(0) != 1 || in.cache() == null || in.cache().length() != from) {
            throw new IllegalArgumentException("a prefill chunk is one sequence's tokens [from, from + T) after the " + from + " its cache holds");
        }
        int t = in.inputIds().size(1);
        long[] ids = in.inputIds().to(Device.CPU).toLongArray();
        if (!images.matches(ids, from)) throw new IllegalArgumentException("the chunk's tokens are not the encoded prompt's tokens [" + from + ", " + (from + t) + ")");
        int first = images.imageTokensBefore(from, config.imageTokenId()), count = images.imageTokensBefore(from + t, config.imageTokenId()) - first;
        Variable x = model.embedTokens().forward(in.inputIds());
        if (count > 0) x = scatterImages(x, Views.narrow(images.features(), 0, first, count), ids, count);
        in.cache().ropeDeltas(new long[]{images.ropeDelta()});
        RotaryEmbedding.Tables rope = tables(images.positions(from, t), 1, t).to(model.embedTokens().weight().device());
        Variable h = model.forward(x, rope, rope, in);
        if (logitsToKeep > 0 && logitsToKeep < t) h = Views.narrow(h, 1, t - logitsToKeep, logitsToKeep);
        return head.logits(h);
    }

    /** The token embeddings [B, T, C] with the image features [N, C] in place of the N image tokens, in order. */
    private Variable scatterImages(Variable embeds, Variable features, long[] ids, int imageTokens) {
        if (features.size(0) != imageTokens) {
            throw new IllegalArgumentException("Image features and image tokens do not match: " + imageTokens + " image tokens, "
                    + features.size(0) + " features from the images");
        }
        int b = embeds.size(0), t = embeds.size(1), c = embeds.size(2), rows = b * t;
        long[] pick = new long[rows];
        int k = 0;
        for (int i = 0; i < rows; i++) pick[i] = ids[i] == config.imageTokenId() ? rows + k++ : i;
        Variable table = Views.concat(List.of(Views.reshape(embeds, rows, c), features), 0);
        Tensor index = Tensor.ofLongs(pick, rows).to(embeds.value().device());
        return Views.reshape(Views.indexSelect(table, 0, index), b, t, c);
    }

    private static int[] toInts(long[] v) {
        int[] out = new int[v.length];
        for (int i = 0; i < v.length; i++) out[i] = (int) v[i];
        return out;
    }

    /** [B, T] token indices: the given position ids, or the cache length onwards. */
    private static long[] textPositions(DecoderInput in, int b, int t) {
        if (in.positionIds() != null) return in.positionIds().to(Device.CPU).toLongArray();
        int start = in.cache() == null ? 0 : in.cache().length();
        long[] out = new long[b * t];
        for (int r = 0; r < b; r++) for (int j = 0; j < t; j++) out[r * t + j] = start + j;
        return out;
    }

    /**
     * cos/sin [B, T, R]: for rotary half-dim i in mrope_section's k-th chunk, the angle of axis k's position (and the
     * same for dim i + R/2), as Qwen2VLRotaryEmbedding's recomposition_frequencies.
     */
    private RotaryEmbedding.Tables tables(long[] positions, int b, int t) {
        int r = rotary.dim(), half = r / 2, plane = b * t;
        float[][] cos = new float[3][], sin = new float[3][];
        for (int a = 0; a < 3; a++) {
            long[] axis = new long[plane];
            System.arraycopy(positions, a * plane, axis, 0, plane);
            RotaryEmbedding.Tables one = rotary.forPositionIds(Tensor.ofLongs(axis, b, t));
            cos[a] = one.cos().toFloatArray();
            sin[a] = one.sin().toFloatArray();
        }
        int[] axisOf = new int[half];
        int[] section = config.mropeSection();
        for (int i = 0, k = 0, end = section[0]; i < half; i++) {
            while (i >= end) end += section[++k];
            axisOf[i] = k;
        }
        float[] c = new float[plane * r], s = new float[plane * r];
        for (int p = 0; p < plane; p++)
            for (int i = 0; i < r; i++) {
                int a = axisOf[i % half];
                c[p * r + i] = cos[a][p * r + i];
                s[p * r + i] = sin[a][p * r + i];
            }
        return new RotaryEmbedding.Tables(Tensor.of(c, b, t, r), Tensor.of(s, b, t, r));
    }

    @Override
    public KvCache newCache(int batch, int capacity) { return model.newCache(batch, capacity); }

    /**
     * The parts ms-swift's --freeze_llm / --freeze_vit / --freeze_aligner name (its model_arch for Qwen2-VL: language_model
     * = model.language_model and lm_head, vision_tower = model.visual, aligner = model.visual.merger; the merger counts
     * as the aligner only).
     */
    public enum Part { LANGUAGE_MODEL, VISION_TOWER, ALIGNER }

    /** The part a parameter or module path belongs to. */
    public static Part partOf(String path) {
        if (path.equals("model.visual.merger") || path.startsWith("model.visual.merger.")) return Part.ALIGNER;
        if (path.equals("model.visual") || path.startsWith("model.visual.")) return Part.VISION_TOWER;
        return Part.LANGUAGE_MODEL;
    }

    /**
     * The dotted paths of the linear layers in {@code parts}, in model order, lm_head excepted (PEFT's all-linear leaves
     * the output layer out) and the layers inside a LoRA wrapper too: what ms-swift's all-linear regex matches.
     */
    public List<String> linears(Set<Part> parts) {
        List<String> out = new ArrayList<>();
        List<String> wrappers = new ArrayList<>();
        namedModules().forEach((path, m) -> {
            if (wrappers.stream().anyMatch(w -> path.startsWith(w + "."))) return;
            if (m instanceof LoraLinear) wrappers.add(path);
            if ((m instanceof LinearBase || m instanceof LoraLinear) && !path.equals("lm_head") && parts.contains(partOf(path))) out.add(path);
        });
        return out;
    }

    /** The language model's linear layers: what ms-swift's all-linear adapts under its default freeze flags. */
    public List<String> languageModelLinears() { return linears(EnumSet.of(Part.LANGUAGE_MODEL)); }

    /** Qwen2VLModel: the {@code model.} level holding {@code visual} and {@code language_model}. */
    static final class Inner extends Module {
        <M extends Module> M add(String name, M m) { return registerModule(name, m); }
    }
}
