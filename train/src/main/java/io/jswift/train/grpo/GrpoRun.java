package io.jswift.train.grpo;

import io.jswift.models.CausalLm;
import io.jswift.models.adapter.PeftAdapter;
import io.jswift.models.generate.GenerationSession;
import io.jswift.models.generate.SamplingParams;
import io.jswift.models.tokenizer.Tokenizer;
import io.jswift.tensor.Generator;
import io.jswift.train.run.ExampleSource;
import io.jswift.train.run.RunSetup;
import io.jswift.train.run.SftRun;
import io.jswift.train.run.TrainArgs;
import io.jswift.train.run.TrainingLoop;
import io.jswift.train.run.TunedModel;
import io.jswift.train.run.TunerArgs;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * {@code jswift rlhf --rlhf_type grpo}: online RL of a causal LM (LoRA / DoRA or full) on prompt rows with rule
 * rewards, Java plugins and reward models, GRPO / DAPO / Dr. GRPO / GSPO as TRL 1.13 computes them with ms-swift's flags. The
 * reference (beta > 0) is the model with its adapter disabled, also when training continues --adapters; with
 * --ref_model DIR that model (frozen, LoRA or full); with full training and no --ref_model a frozen copy of the
 * starting model; --ref_adapters DIR is applied to whichever model the reference is loaded from.
 * --per_device_train_batch_size counts completions (ms-swift): a step samples batch × accumulation / num_generations
 * prompts (TRL's generation batch, which must hold whole groups) and trains their completions shuffled into its
 * micro-batches, so a micro-batch may hold part of a prompt's group (TRL does the same).
 */
public final class GrpoRun {
    /**
     * ms-swift's GRPO arguments.
     *
     * @param epsilonHigh null: epsilon (TRL)
     * @param scaleRewards group, batch, none (true / false)
     * @param refModel     the reference model directory (--ref_model, frozen; LoRA and full training alike), or null: the policy with
     *                     its adapter disabled (LoRA) or a frozen copy of --model (full)
     * @param refAdapters  an adapter applied to the reference (the base model, or --ref_model), frozen; or null
     * @param dynamicSample    DAPO's dynamic sampling (ms-swift --dynamic_sample), up to maxResampleTimes resamples
     */
    public record Args(int numGenerations, int maxCompletionLength, double temperature, int topK, double topP, double repetitionPenalty,
                       double beta, String lossType, double epsilon, Double epsilonHigh, int numIterations, String scaleRewards,
                       String importanceSamplingLevel, boolean logCompletions, RewardArgs rewards, Path refModel, Path refAdapters,
                       boolean dynamicSample, int maxResampleTimes) {
        public Args {
            if (numGenerations < 2) throw new IllegalArgumentException("--num_generations must be >= 2 (advantages compare completions of a prompt), got " + numGenerations);
            if (numIterations < 1) throw new IllegalArgumentException("--num_iterations must be >= 1, got " + numIterations);
            if (maxResampleTimes < 0) throw new IllegalArgumentException("--max_resample_times must be >= 0, got " + maxResampleTimes);
            if (!(temperature > 0)) throw new IllegalArgumentException("--temperature must be > 0 for grpo (log-probs are taken at the sampling temperature), got " + temperature);
            loss(maxCompletionLength, beta, lossType, epsilon, epsilonHigh, importanceSamplingLevel);
            Advantages.Scale.parse(scaleRewards);
        }

        private static GrpoLoss loss(int maxLen, double beta, String type, double eps, Double epsHigh, String level) {
            return new GrpoLoss(GrpoLoss.Type.parse(type), beta, eps, epsHigh == null ? eps : epsHigh, GrpoLoss.parseSequenceLevel(level), maxLen);
        }

        public GrpoLoss loss() { return loss(maxCompletionLength, beta, lossType, epsilon, epsilonHigh, importanceSamplingLevel); }

        public SamplingParams sampling(long seed) {
            return new SamplingParams(maxCompletionLength, temperature, topK, topP, repetitionPenalty, seed, List.of());
        }
    }

    /**
     * The evaluation prompts in the order every evaluation walks them: TRL 1.13's eval sampler (RepeatSampler with
     * shuffle, seeded by --seed, created afresh for each evaluation) visits them in one seeded permutation, the same at
     * each evaluation, so an eval batch groups the same prompts every time. The permutation is drawn here from --seed
     * (torch's randperm stream is not reproduced).
     */
    static List<GrpoPrompt> evalOrder(List<GrpoPrompt> prompts, long seed) {
        List<GrpoPrompt> order = new ArrayList<>(prompts);
        Collections.shuffle(order, new Random(seed ^ 0x5DEECE66DL));
        return order;
    }

    private final TrainArgs args;
    private final TunerArgs tuner;
    private final SftRun.ChatArgs chat;
    private final Args grpo;
    private final Path adapters;
    private final boolean disableDropout;
    private final PrintStream out;

    public GrpoRun(TrainArgs args, TunerArgs tuner, SftRun.ChatArgs chat, Args grpo, Path adapters, boolean disableDropout, PrintStream out) {
        if (args.perDeviceTrainBatchSize() * args.gradientAccumulationSteps() % grpo.numGenerations() != 0) {
            // TRL 1.13 (GRPOConfig): the generation batch holds whole groups; a micro-batch need not
            throw new IllegalArgumentException(GrpoObjective.generationBatchError(args.perDeviceTrainBatchSize(), args.gradientAccumulationSteps(), grpo.numGenerations()));
        }
        if ((!args.valDatasets().isEmpty() || args.splitDatasetRatio() > 0) && args.perDeviceEvalBatchSize() % grpo.numGenerations() != 0) {
            // TRL 1.13 (GRPOConfig): the eval batch holds whole groups of num_generations completions
            throw new IllegalArgumentException("--per_device_eval_batch_size " + args.perDeviceEvalBatchSize() + " counts completions: it must be a multiple of --num_generations "
                    + grpo.numGenerations() + " for evaluation (each eval prompt's completions are scored as one group)");
        }
        if (args.packing()) throw new IllegalArgumentException("--packing does not go with grpo");
        if (grpo.refAdapters() != null && grpo.beta() == 0) throw new IllegalArgumentException("--ref_adapters gives the KL reference: it needs --beta > 0");
        if (grpo.refModel() != null && grpo.beta() == 0) throw new IllegalArgumentException("--ref_model gives the KL reference: it needs --beta > 0");
        this.args = args;
        this.tuner = tuner;
        this.chat = chat;
        this.grpo = grpo;
        this.adapters = adapters;
        this.disableDropout = disableDropout;
        this.out = out;
    }

    public Path run() throws IOException {
        Path dir = args.model();
        if (!Files.isRegularFile(dir.resolve("tokenizer.json"))) {
            throw new IllegalArgumentException(dir + " has no tokenizer.json: grpo renders prompts with the model's tokenizer and chat template");
        }
        List<RewardFunction> rewardModels = new ArrayList<>();
        for (int i = 0; i < grpo.rewards().rewardModels().size(); i++) {
            rewardModels.add(RewardModelReward.load(grpo.rewards().rewardModels().get(i), grpo.rewards().rewardAdapter(i), args.targetDevice()));
        }
        RewardFunctions rewards = RewardFunctions.load(grpo.rewards(), grpo.maxCompletionLength(), GrpoRun.class.getClassLoader(), rewardModels);
        TunedModel tuned = TunedModel.load("rlhf", args, tuner, adapters, disableDropout, out);
        CausalLm model = tuned.model();
        GenerationSession session = GenerationSession.open(dir, model);
        Tokenizer tokenizer = Tokenizer.fromDirectory(dir);
        GrpoDataset.Splits data = GrpoDataset.load(args.datasets(), args.valDatasets(), args.splitDatasetRatio(), args.seed(), chat.system(),
                m -> session.chatPrompt(m, null));
        List<GrpoPrompt> prompts = data.train();
        GrpoReference reference = null;
        Path refDir = grpo.refModel() == null ? dir : grpo.refModel();
        if (grpo.beta() != 0 && (grpo.refModel() != null || grpo.refAdapters() != null || tuner.isFull())) {
            // ms-swift passes --ref_model to the trainer, which scores with it when given (LoRA too); TRL / ms-swift
            // full training without it compares with a frozen copy of the starting model
            CausalLm ref = TunedModel.reference(refDir, model);
            if (grpo.refAdapters() != null) PeftAdapter.load(grpo.refAdapters(), ref, new Generator(args.seed()));
            ref.to(args.targetDevice());
            reference = GrpoReference.frozen(ref);
        } else if (grpo.beta() != 0) {
            reference = GrpoReference.adaptersDisabled(model);
        }
        out.printf("grpo: %d prompts, %d completions each; rewards %s%s%n", prompts.size(), grpo.numGenerations(), rewards.names(),
                grpo.beta() == 0 ? ", no reference (beta 0)" : grpo.refAdapters() != null ? ", reference: " + refDir + " with the adapter " + grpo.refAdapters()
                        : reference != null && (tuner.isFull() || grpo.refModel() != null) ? ", reference: " + refDir + " (frozen)" : ", reference: the model with its adapter disabled");
        Map<String, Object> json = new LinkedHashMap<>(SftRun.argsJson(args, tuner, chat, adapters));
        json.put("rlhf_type", "grpo");
        json.put("num_generations", grpo.numGenerations());
        json.put("max_completion_length", grpo.maxCompletionLength());
        json.put("temperature", grpo.temperature());
        json.put("top_k", grpo.topK());
        json.put("top_p", grpo.topP());
        json.put("repetition_penalty", grpo.repetitionPenalty());
        json.put("beta", grpo.beta());
        json.put("loss_type", grpo.lossType());
        json.put("epsilon", grpo.epsilon());
        json.put("epsilon_high", grpo.epsilonHigh());
        json.put("num_iterations", grpo.numIterations());
        json.put("scale_rewards", grpo.scaleRewards());
        json.put("importance_sampling_level", grpo.importanceSamplingLevel());
        json.put("reward_funcs", rewards.names());
        json.put("reward_weights", grpo.rewards().rewardWeights());
        json.put("reward_model", grpo.rewards().rewardModels().stream().map(Path::toString).toList());
        json.put("reward_adapters", grpo.rewards().rewardAdapters().stream().map(Path::toString).toList());
        json.put("external_plugins", grpo.rewards().externalPlugins().stream().map(Path::toString).toList());
        json.put("log_completions", grpo.logCompletions());
        json.put("dynamic_sample", grpo.dynamicSample());
        json.put("max_resample_times", grpo.maxResampleTimes());
        json.put("ref_model", grpo.refModel() == null ? null : grpo.refModel().toString());
        json.put("ref_adapters", grpo.refAdapters() == null ? null : grpo.refAdapters().toString());
        // the loop draws prompts: a step's prompts come from GrpoObjective.examplesPerStep; an eval batch of completions is
        // batch / num_generations prompts
        TrainArgs loopArgs = args.withPerDeviceBatchSizes(args.perDeviceTrainBatchSize(), Math.max(1, args.perDeviceEvalBatchSize() / grpo.numGenerations()));
        RunSetup setup = new RunSetup("rlhf", loopArgs, model, tuned.weights(), tuned.rng(), json, out);
        try (CompletionsLog log = grpo.logCompletions() ? new CompletionsLog(args.outputDir()) : null) {
            GrpoObjective objective = new GrpoObjective(model, reference, new GrpoObjective.Settings(session.eosIds(), ids -> tokenizer.decode(ids, true), rewards,
                    grpo.loss(), Advantages.Scale.parse(grpo.scaleRewards()), grpo.numGenerations(), grpo.sampling(args.seed()), args.seed(),
                    args.gradientCheckpointing(), log, grpo.numIterations(),
                    grpo.dynamicSample() ? new DynamicSampling(grpo.maxResampleTimes(), new ResamplePrompts(prompts, args.seed()), out::println) : null));
            return new TrainingLoop<>(setup, objective).run(ExampleSource.of(prompts), data.validation() == null ? null : ExampleSource.of(evalOrder(data.validation(), args.seed())), null);
        }
    }
}
