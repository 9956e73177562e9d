package io.jswift.models.arch;

import io.jswift.models.CausalLm;
import io.jswift.models.config.ConfigJson;
import io.jswift.models.config.DeepseekConfigs;
import io.jswift.models.config.GptOssConfigs;
import io.jswift.models.config.HunyuanConfigs;
import io.jswift.models.config.DecoderConfig;
import io.jswift.models.config.LlamaFlowConfigs;
import io.jswift.models.config.ModelConfig;
import io.jswift.models.config.MoeConfigs;
import io.jswift.models.config.Qwen2VlConfig;
import io.jswift.models.config.Qwen3NextConfigs;
import io.jswift.models.config.VitConfig;
import io.jswift.models.decoder.DecoderClassifier;
import io.jswift.models.decoder.DecoderLm;
import io.jswift.models.load.CheckpointLayout;
import io.jswift.models.load.ExpertLayout;
import io.jswift.models.load.LoadedModel;
import io.jswift.models.qwen2vl.Qwen2VlForConditionalGeneration;
import io.jswift.models.qwen2vl.Qwen2VlLayout;
import io.jswift.models.vit.VitForImageClassification;
import io.jswift.models.vit.VitModel;
import io.jswift.nn.Linear;
import io.jswift.nn.Module;
import io.jswift.tensor.Generator;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * The architecture registry: every {@code architectures[0]} jswift runs, in one list. Adding a family is one entry
 * here (its config parser, its assembly, its all-linear targets and template fallback); every error that lists what
 * is supported reads this list.
 */
public final class Architectures {
    private static final List<String> ATTENTION_AND_MLP = List.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj");
    private static final List<String> ATTENTION = List.of("q_proj", "k_proj", "v_proj", "o_proj");
    private static final List<String> LATENT_ATTENTION_AND_MLP = List.of("q_proj", "q_a_proj", "q_b_proj", "kv_a_proj_with_mqa", "kv_b_proj",
            "o_proj", "gate_proj", "up_proj", "down_proj");
    private static final List<String> FUSED_MLP = List.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_up_proj", "down_proj");

    private static final List<Architecture> CAUSAL_LMS = List.of(
            llamaFlow("LlamaForCausalLM", LlamaFlowConfigs::llama, "llama3"),
            llamaFlow("Qwen2ForCausalLM", LlamaFlowConfigs::qwen2, "chatml"),
            llamaFlow("Qwen3ForCausalLM", LlamaFlowConfigs::qwen3, "chatml"),
            llamaFlow("MistralForCausalLM", LlamaFlowConfigs::mistral, null),
            llamaFlow("Olmo2ForCausalLM", LlamaFlowConfigs::olmo2, null),
            llamaFlow("Glm4ForCausalLM", LlamaFlowConfigs::glm4, null, FUSED_MLP),
            llamaFlow("Phi3ForCausalLM", LlamaFlowConfigs::phi3, null, List.of("qkv_proj", "o_proj", "gate_up_proj", "down_proj")),
            llamaFlow("Gemma2ForCausalLM", LlamaFlowConfigs::gemma2, null),
            llamaFlow("Gemma3ForCausalLM", LlamaFlowConfigs::gemma3, null),
            llamaFlow("HunYuanDenseV1ForCausalLM", HunyuanConfigs::hunyuanDense, null),
            moe("MixtralForCausalLM", MoeConfigs::mixtral, null, ExpertLayout.MIXTRAL, ATTENTION),
            moe("Qwen2MoeForCausalLM", MoeConfigs::qwen2Moe, "chatml", ExpertLayout.QWEN2_MOE, List.of("q_proj", "k_proj", "v_proj", "o_proj",
                    "gate_proj", "up_proj", "down_proj", "shared_expert_gate")),
            moe("Qwen3MoeForCausalLM", MoeConfigs::qwen3Moe, "chatml", ExpertLayout.QWEN2_MOE, ATTENTION_AND_MLP),
            moe("Glm4MoeForCausalLM", MoeConfigs::glm4Moe, null, ExpertLayout.QWEN2_MOE, List.of("q_proj", "k_proj", "v_proj", "o_proj",
                    "gate_proj", "up_proj", "down_proj")),
            moe("Qwen3NextForCausalLM", Qwen3NextConfigs::qwen3Next, "chatml", ExpertLayout.QWEN2_MOE, List.of("q_proj", "k_proj", "v_proj", "o_proj",
                    "in_proj_qkvz", "in_proj_ba", "out_proj", "gate_proj", "up_proj", "down_proj", "shared_expert_gate")),
            moe("DeepseekV2ForCausalLM", DeepseekConfigs::deepseekV2, null, ExpertLayout.QWEN2_MOE, LATENT_ATTENTION_AND_MLP),
            moe("DeepseekV3ForCausalLM", DeepseekConfigs::deepseekV3, null, ExpertLayout.QWEN2_MOE, LATENT_ATTENTION_AND_MLP),
            // GPT-OSS's experts are stored as transformers names them (gate_up_proj [E, C, 2I], ...): field paths, no layout;
            // all-linear: the attention projections only (the router and the experts are no nn.Linear)
            llamaFlow("GptOssForCausalLM", GptOssConfigs::gptOss, null, ATTENTION));

    private static final List<Architecture> ALL = Stream.of(
            CAUSAL_LMS.stream(),
            CAUSAL_LMS.stream().map(Architectures::sequenceClassifier),
            Stream.of(
                    qwen2Vl("Qwen2VLForConditionalGeneration", Qwen2VlConfig::parseQwen2),
                    qwen2Vl("Qwen2_5_VLForConditionalGeneration", Qwen2VlConfig::parseQwen25),
                    new Architecture("ViTModel", c -> new ModelConfig.Vit(VitConfig.parse(c, false)),
                            (config, names, gen) -> new LoadedModel.Vit(new VitModel(vit(config), names.contains("pooler.dense.weight"), gen)),
                            List.of("query", "key", "value", "dense"), null),
                    new Architecture("ViTForImageClassification", c -> new ModelConfig.Vit(VitConfig.parse(c, true)),
                            (config, names, gen) -> new LoadedModel.VitClassifier(new VitForImageClassification(vit(config), gen)),
                            List.of("query", "key", "value", "dense"), null))).flatMap(s -> s).toList();

    private Architectures() {}

    /** A family whose data flow is Llama's: the shared {@link DecoderLm} with the options its parser sets. */
    private static Architecture llamaFlow(String hfName, Function<ConfigJson, DecoderConfig> parser, String template) {
        return llamaFlow(hfName, parser, template, ATTENTION_AND_MLP);
    }

    private static Architecture llamaFlow(String hfName, Function<ConfigJson, DecoderConfig> parser, String template, List<String> linears) {
        return new Architecture(hfName, c -> new ModelConfig.Decoder(parser.apply(c)),
                (config, names, gen) -> new LoadedModel.CausalLm(new DecoderLm(((ModelConfig.Decoder) config).config(), gen)),
                linears, template);
    }

    /**
     * A MoE family on the Llama flow: its all-linear targets are the attention projections and the dense layers' or
     * shared expert's MLP where it has them (the routers and fused experts are not linear layers, as in transformers
     * 5); its experts are stored per expert.
     */
    private static Architecture moe(String hfName, Function<ConfigJson, DecoderConfig> parser, String template, ExpertLayout layout,
                                    List<String> linears) {
        Architecture a = llamaFlow(hfName, parser, template, linears);
        return new Architecture(a.hfName(), a.parser(), a.assembly(), a.allLinearTargets(), a.templateFallback(), layout);
    }

    /** The checkpoint layout of {@code model}'s family (identity for a module that is no registered decoder). */
    public static CheckpointLayout layoutOf(Module model) {
        CausalLm lm = decoderOf(model);
        if (lm == null) return CheckpointLayout.IDENTITY;
        return find(lm.config().architecture()).map(Architecture::layout).orElse(CheckpointLayout.IDENTITY);
    }

    /** The decoder of a causal LM or sequence classifier, else null. */
    private static CausalLm decoderOf(Module model) {
        return model instanceof CausalLm c ? c : model instanceof DecoderClassifier d ? d.decoder() : null;
    }

    /**
     * The {@code *ForSequenceClassification} of a causal family: the same decoder body with a score head instead of
     * lm_head ({@link DecoderClassifier}); PEFT's all-linear leaves score out (it trains it whole, as modules_to_save).
     */
    private static Architecture sequenceClassifier(Architecture causal) {
        String name = classifierName(causal.hfName());
        return new Architecture(name, c -> new ModelConfig.DecoderClassifier(((ModelConfig.Decoder) causal.parser().parse(c)).config(), numLabels(c)),
                (config, names, gen) -> {
                    ModelConfig.DecoderClassifier cls = (ModelConfig.DecoderClassifier) config;
                    CausalLm decoder = new DecoderLm(cls.config(), gen);
                    Linear score = new Linear(cls.config().hiddenSize(), cls.numLabels(), false, gen);
                    return new LoadedModel.SequenceClassifier(new DecoderClassifier(decoder, score, cls.config().padTokenId()));
                }, causal.allLinearTargets(), causal.templateFallback(), causal.layout());
    }

    /** XForCausalLM → XForSequenceClassification (a classifier's own name stays). */
    public static String classifierName(String architecture) {
        return architecture.endsWith("ForCausalLM") ? architecture.substring(0, architecture.length() - "ForCausalLM".length()) + "ForSequenceClassification"
                : architecture;
    }

    /** transformers' num_labels: the size of id2label when saved, else num_labels, else its default 2. */
    private static int numLabels(ConfigJson c) {
        var id2label = c.root().get("id2label");
        if (id2label != null && id2label.isObject() && !id2label.isEmpty()) return id2label.size();
        return c.optInt("num_labels", 2);
    }

    /**
     * Qwen2-VL / Qwen2.5-VL: the shared decoder stack fed by a vision tower. all-linear names the language model's
     * layers (the vision tower and merger stay frozen under LoRA, as ms-swift's defaults).
     */
    private static Architecture qwen2Vl(String hfName, Function<ConfigJson, Qwen2VlConfig> parser) {
        return new Architecture(hfName, c -> new ModelConfig.VisionLanguage(parser.apply(c)),
                (config, names, gen) -> new LoadedModel.CausalLm(new Qwen2VlForConditionalGeneration(((ModelConfig.VisionLanguage) config).config(), gen)),
                ATTENTION_AND_MLP, null, Qwen2VlLayout.INSTANCE);
    }

    private static VitConfig vit(ModelConfig config) { return ((ModelConfig.Vit) config).config(); }

    public static List<Architecture> all() { return ALL; }

    /** The supported names, comma-separated (for error messages). */
    public static String supported() {
        return String.join(", ", ALL.stream().map(Architecture::hfName).toList());
    }

    /** The supported causal-LM names (vision-language ones included), comma-separated (for error messages of commands that need one). */
    public static String supportedCausalLms() {
        return String.join(", ", ALL.stream().filter(a -> a.hfName().endsWith("ForCausalLM") || a.hfName().endsWith("ForConditionalGeneration"))
                .map(Architecture::hfName).toList());
    }

    public static Optional<Architecture> find(String hfName) {
        return ALL.stream().filter(a -> a.hfName().equals(hfName)).findFirst();
    }

    /** The entry for {@code hfName}; an unknown name fails with one line naming the file and listing the supported ones. */
    public static Architecture of(String hfName, Path file) {
        return find(hfName).orElseThrow(() -> new IllegalArgumentException(
                file + ": unsupported architecture '" + hfName + "' (supported: " + supported() + ")"));
    }

    /** The entry named by a config's first {@code architectures} item. */
    public static Architecture of(ConfigJson c) {
        var archs = c.root().get("architectures");
        if (archs == null || !archs.isArray() || archs.isEmpty() || !archs.get(0).isTextual()) {
            throw new IllegalArgumentException(c.file() + ": missing key 'architectures' (a list such as [\"LlamaForCausalLM\"])");
        }
        return of(archs.get(0).asText(), c.file());
    }

    /** Reads {@code dir/config.json} with its architecture's parser. */
    public static ModelConfig readConfig(Path dir) throws IOException {
        return readConfigFile(dir.resolve("config.json"));
    }

    /** Reads one config.json-format file (any name) with its architecture's parser. */
    public static ModelConfig readConfigFile(Path file) throws IOException {
        ConfigJson c = ConfigJson.read(file);
        return of(c).parser().parse(c);
    }

    /** A new causal LM of {@code config}'s architecture: random weights from {@code gen}, or meta tensors when null. */
    public static CausalLm newCausalLm(DecoderConfig config, Generator gen) {
        Architecture a = find(config.architecture()).orElseThrow(() -> new IllegalArgumentException(
                "unsupported architecture '" + config.architecture() + "' (supported: " + supported() + ")"));
        return ((LoadedModel.CausalLm) a.assembly().assemble(new ModelConfig.Decoder(config), Set.of(), gen)).model();
    }
}
