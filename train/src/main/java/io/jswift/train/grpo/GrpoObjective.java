package io.jswift.train.grpo;

import io.jswift.autograd.GradMode;
import io.jswift.autograd.Variable;
import io.jswift.autograd.ops.Elementwise;
import io.jswift.autograd.ops.TokenStats;
import io.jswift.models.CausalLm;
import io.jswift.models.generate.SamplingParams;
import io.jswift.train.encode.Collator;
import io.jswift.train.encode.Encoded;
import io.jswift.train.pref.CompletionLogProbs;
import io.jswift.train.pref.ScoredTokens;
import io.jswift.train.pref.VectorLoss;
import io.jswift.train.run.Objective;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * {@code jswift rlhf --rlhf_type grpo}: one optimizer step of TRL 1.13's GRPOTrainer. The loop hands the step's
 * prompts to {@link #normalizer} first: there the whole generation batch is sampled from the current policy
 * ({@link Rollouts}), scored ({@link RewardFunctions}) and turned into advantages; each {@link #forward} then takes
 * its micro-batch's slice of those completions, their per-token log-probs at the sampling temperature and, with
 * beta > 0, the reference's ({@link GrpoReference}, no gradients).
 * Right after scoring, the completions are shuffled as one batch and cut into the step's micro-batches (TRL's
 * shuffle_sequence_dict + split_tensor_dict; seeded, see {@link #shuffle}), so a micro-batch mixes prompts.
 * With num_iterations μ > 1 (TRL: generate_every = steps_per_generation × μ) the generation batch trains μ
 * consecutive optimizer steps on the same slices in the same order (TRL shuffles once per generation, not between
 * iterations): right after sampling, the policy's per-token log-probs of every micro-batch are taken
 * without gradients (TRL's old_per_token_logps, in the model's training mode as TRL takes them) together with the
 * reference's, and every iteration's ratio is against those. The generation metrics (reward, lengths, ...) are logged
 * once per generation batch, with the step that sampled it (TRL appends them in _generate_and_score_completions only).
 * grpo / bnpo / dr_grpo losses are divided by the accumulation steps, dapo's by the completion tokens of the whole
 * step (TRL's num_items_in_batch with steps_per_generation = gradient_accumulation_steps).
 */
public final class GrpoObjective implements Objective<GrpoPrompt> {
    /** One scored completion, what completions.jsonl records. */
    public record Scored(long generation, GrpoPrompt prompt, Rollout rollout, String completion, Map<String, Double> rewards, double advantage) {}

    /**
     * @param eosIds         ids that end a completion
     * @param decoder        completion ids → text with special tokens skipped (the policy's tokenizer)
     * @param numGenerations completions per prompt
     * @param sampling       max_completion_length, temperature, top_k, top_p, repetition_penalty
     * @param seed           generation g samples with seed + g × 1_000_003 (rows add their index)
     * @param log            receives every scored completion, or null
     * @param numIterations  μ: optimizer steps on each generation batch (>= 1)
     * @param dynamic        DAPO's dynamic sampling, or null
     */
    public record Settings(int[] eosIds, Function<int[], String> decoder, RewardFunctions rewards, GrpoLoss loss, Advantages.Scale scale,
                           int numGenerations, SamplingParams sampling, long seed, boolean checkpointing, Consumer<Scored> log, int numIterations,
                           DynamicSampling dynamic) {
        public Settings {
            if (numIterations < 1) throw new IllegalArgumentException("--num_iterations must be >= 1, got " + numIterations);
        }

        /** num_iterations 1. */
        public Settings(int[] eosIds, Function<int[], String> decoder, RewardFunctions rewards, GrpoLoss loss, Advantages.Scale scale,
                        int numGenerations, SamplingParams sampling, long seed, boolean checkpointing, Consumer<Scored> log) {
            this(eosIds, decoder, rewards, loss, scale, numGenerations, sampling, seed, checkpointing, log, 1, null);
        }
    }

    /**
     * Wall-clock seconds logged beside TRL's metrics (the bench's split; TRL times the same parts in its profiling
     * context): sampling + scoring of the step's generation batch (dynamic sampling's resamples included), the
     * generation-time log-probs of num_iterations > 1 (policy and reference, once per generation batch), the
     * reference forward of a micro-batch and the policy's forward with the loss (the training pass's forward; its
     * backward and the optimizer step are the loop's), each a mean over the micro-batches, as every metric is.
     */
    /** Keys of {@link #state()} in trainer_state.json's objective_state. */
    static final String GENERATIONS = "grpo_generations", RESAMPLED = "grpo_resample_prompts_drawn", EVAL_BATCHES = "grpo_eval_batches";

    public static final String GENERATION_SECONDS = "profiling/generation_s", OLD_LOGPS_SECONDS = "profiling/old_logps_s",
            REFERENCE_SECONDS = "profiling/reference_s", POLICY_FORWARD_SECONDS = "profiling/policy_forward_s";

    private final CausalLm policy;
    private final GrpoReference reference;
    private final Settings s;
    private final Deque<MicroBatch> pending = new ArrayDeque<>();
    private List<MicroBatch> generationBatch;
    private long generations;
    private long evalBatches;
    private int lastIteration;
    private Map<String, Long> cycleStart;
    /** The generation batch's metrics, logged with the first micro-batch of the step that sampled it, then null. */
    private Map<String, Double> generationMetrics;
    private double dapoTokens;
    private boolean packPrompts = true;

    /** @param old the generation-time policy log-probs (num_iterations > 1) or null; @param ref the reference's, or null (computed in forward) */
    private record MicroBatch(List<Rollout> rollouts, double[] advantages, double[] old, double[] ref) {}

    /** With beta > 0 the reference is the policy with its adapters disabled. */
    public GrpoObjective(CausalLm policy, Settings settings) {
        this(policy, settings.loss().beta() == 0 ? null : GrpoReference.adaptersDisabled(policy), settings);
    }

    /** @param reference the reference log-probs (null only with beta 0) */
    public GrpoObjective(CausalLm policy, GrpoReference reference, Settings settings) {
        if (settings.loss().beta() != 0 && reference == null) throw new IllegalArgumentException("beta > 0 needs a reference");
        this.policy = policy;
        this.reference = reference;
        this.s = settings;
    }

    @Override
    public int iterationsPerBatch() { return s.numIterations(); }

    /**
     * --per_device_train_batch_size counts completions (ms-swift): a step draws the prompts of one generation batch,
     * batch × accumulation / num_generations (TRL's generation_batch_size with steps_per_generation =
     * gradient_accumulation_steps), which {@link GrpoRun} checks is whole.
     */
    @Override
    public int examplesPerStep(int perDeviceBatch, int accumulation) {
        int completions = perDeviceBatch * accumulation;
        if (completions % s.numGenerations() != 0) {
            throw new IllegalArgumentException(generationBatchError(perDeviceBatch, accumulation, s.numGenerations()));
        }
        return completions / s.numGenerations();
    }

    /** TRL's GRPOConfig check (generation_batch_size % num_generations), in jswift's flags. */
    static String generationBatchError(int perDeviceBatch, int accumulation, int numGenerations) {
        return "--per_device_train_batch_size " + perDeviceBatch + " x --gradient_accumulation_steps " + accumulation + " = " + perDeviceBatch * accumulation
                + " completions per optimizer step (TRL's generation batch) must be a multiple of --num_generations " + numGenerations
                + " (each prompt's completions are scored as one group)";
    }

    @Override
    public double normalizer(List<List<GrpoPrompt>> microBatches) {
        return normalizer(microBatches, 0);
    }

    @Override
    public double normalizer(List<List<GrpoPrompt>> microBatches, int iteration) {
        lastIteration = iteration;
        if (iteration > 0 && generationBatch != null) {
            // TRL 1.13 (_prepare_inputs): a reused step trains the buffered slices in the order they were split; nothing
            // is sampled, so none of _generate_and_score_completions' metrics are appended (a log line of reused steps only
            // has the loss's metrics)
            generationMetrics = null;
            pending.clear();
            pending.addAll(generationBatch);
            return normalizerOf(microBatches.size());
        }
        cycleStart = currentState();
        List<GrpoPrompt> drawn = new ArrayList<>();
        microBatches.forEach(drawn::addAll);
        long generation = generations++;
        long started = System.nanoTime();
        GenerationBatch g = generate(drawn, s.seed() + generation * 1_000_003L);
        if (s.dynamic() != null) {
            g = s.dynamic().select(g, s.numGenerations(), s.rewards().functions().size(),
                    r -> generate(s.dynamic().draw().apply(drawn.size()), s.seed() + generation * 1_000_003L + r * 104_729L));
        }
        Map<String, Double> timing = new LinkedHashMap<>();
        timing.put(GENERATION_SECONDS, (System.nanoTime() - started) / 1e9);
        prepare(g, generation, microBatches.size(), shuffle(g.rollouts().size(), s.seed() + generation * 1_000_003L), timing);
        return normalizerOf(microBatches.size());
    }

    /**
     * Turns a scored generation batch into the step's micro-batches: advantages over whole groups of the batch, the
     * completions.jsonl rows, then the completions in {@code order} cut into {@code microBatches} equal consecutive
     * slices (TRL's shuffle_sequence_dict + split_tensor_dict: a slice may hold part of a group, and parts of several),
     * with the generation-time log-probs for num_iterations > 1. {@code metrics} (timings so far) gets the generation
     * batch's metrics, logged with the step's first micro-batch.
     */
    void prepare(GenerationBatch g, long generation, int microBatches, int[] order, Map<String, Double> timing) {
        List<Rollout> rollouts = g.rollouts();
        double[][] perFunction = g.perFunction();
        double[] total = g.total();
        if (rollouts.size() % microBatches != 0) {
            throw new IllegalStateException(rollouts.size() + " completions do not split into " + microBatches + " equal micro-batches");
        }
        double[] advantages = Advantages.of(total, s.numGenerations(), s.scale());
        Map<String, Double> metrics = metrics(rollouts, perFunction, total);
        metrics.putAll(timing);
        long logpsStarted = System.nanoTime();
        dapoTokens = 0;
        for (Rollout r : rollouts) dapoTokens += r.completionIds().length;
        if (s.log() != null) {
            for (int i = 0; i < rollouts.size(); i++) {
                Map<String, Double> byName = new LinkedHashMap<>();
                for (int f = 0; f < perFunction.length; f++) byName.put(s.rewards().names().get(f), perFunction[f][i]);
                s.log().accept(new Scored(generation, g.prompts().get(rollouts.get(i).prompt()), rollouts.get(i), g.texts().get(i), byName, advantages[i]));
            }
        }
        // TRL's shuffle_sequence_dict then split_tensor_dict: the scored completions are permuted as one batch (each
        // completion on its own, so a micro-batch mixes prompts) and cut into equal consecutive slices, one per micro-batch
        int per = rollouts.size() / microBatches;
        List<MicroBatch> batches = new ArrayList<>();
        for (int m = 0; m < microBatches; m++) {
            List<Rollout> part = new ArrayList<>(per);
            double[] adv = new double[per];
            for (int k = 0; k < per; k++) {
                part.add(rollouts.get(order[m * per + k]));
                adv[k] = advantages[order[m * per + k]];
            }
            if (s.numIterations() > 1) {
                // TRL: old_per_token_logps (and the reference's) once per generation batch, before any update
                ScoredTokens batch = batch(part);
                double[] old;
                try (GradMode.Scope ignored = GradMode.noGrad()) {
                    old = CompletionLogProbs.perToken(policy, batch, false, s.sampling().temperature()).value().toDoubleArray();
                }
                batches.add(new MicroBatch(part, adv, old, s.loss().beta() == 0 ? null : reference.perToken(batch, s.sampling().temperature())));
            } else {
                batches.add(new MicroBatch(part, adv, null, null));
            }
        }
        if (s.numIterations() > 1) metrics.put(OLD_LOGPS_SECONDS, (System.nanoTime() - logpsStarted) / 1e9);
        generationMetrics = metrics;
        generationBatch = List.copyOf(batches);
        pending.clear();
        pending.addAll(batches);
    }

    /**
     * The order the completions of a generation batch are split into micro-batches in: a seeded uniform permutation
     * of [0, n) (TRL draws it with torch.randperm from the global generator; here from the run's seed and the
     * generation's index, so a resumed run draws the same one).
     */
    static int[] shuffle(int n, long seed) {
        List<Integer> order = new ArrayList<>(n);
        for (int i = 0; i < n; i++) order.add(i);
        Collections.shuffle(order, new Random(seed ^ 0x2545F4914F6CDD1DL));
        return order.stream().mapToInt(Integer::intValue).toArray();
    }

    /**
     * What a resumed run needs to go on exactly: generation batches sampled so far (the index that seeds sampling and
     * the shuffle) and, with dynamic sampling, the prompts its resample stream has handed out. Taken after a step that
     * leaves a num_iterations cycle unfinished, it is the state before that cycle's generation: the resumed run draws
     * the cycle's prompts again and generates it anew (TRL: _buffered_inputs is None after a resume).
     */
    @Override
    public Map<String, Long> state() {
        if (lastIteration + 1 < s.numIterations() && cycleStart != null) {
            Map<String, Long> m = new LinkedHashMap<>(cycleStart);
            m.put(EVAL_BATCHES, evalBatches); // evaluations are not redone
            return m;
        }
        return currentState();
    }

    @Override
    public void restore(Map<String, Long> state) {
        generations = state.getOrDefault(GENERATIONS, 0L);
        evalBatches = state.getOrDefault(EVAL_BATCHES, 0L);
        if (s.dynamic() != null) s.dynamic().draw().skipTo(state.getOrDefault(RESAMPLED, 0L));
        generationBatch = null;
    }

    private Map<String, Long> currentState() {
        Map<String, Long> m = new LinkedHashMap<>();
        m.put(GENERATIONS, generations);
        m.put(EVAL_BATCHES, evalBatches);
        if (s.dynamic() != null) m.put(RESAMPLED, s.dynamic().draw().consumed());
        return m;
    }

    /** Samples {@code numGenerations} completions of each prompt from the current policy and scores them. */
    private GenerationBatch generate(List<GrpoPrompt> prompts, long seed) {
        List<int[]> ids = prompts.stream().map(GrpoPrompt::promptIds).toList();
        List<Rollout> rollouts = Rollouts.sample(policy, s.eosIds(), ids, s.numGenerations(), s.sampling(), seed);
        List<RewardFunction.Sample> samples = new ArrayList<>();
        List<String> texts = new ArrayList<>();
        for (Rollout r : rollouts) {
            GrpoPrompt p = prompts.get(r.prompt());
            String text = s.decoder().apply(r.completionIds());
            texts.add(text);
            samples.add(new RewardFunction.Sample(p.messages(), text, r.completionIds(), p.columns()));
        }
        double[][] perFunction = s.rewards().score(samples);
        double[] total = s.rewards().combine(perFunction);
        for (int i = 0; i < total.length; i++) {
            if (Double.isNaN(total[i])) throw new IllegalStateException("completion " + i + ": every reward function returned NaN (no reward)");
        }
        return new GenerationBatch(prompts, rollouts, texts, perFunction, total);
    }

    private double normalizerOf(int microBatches) {
        return s.loss().type() == GrpoLoss.Type.DAPO ? 1 : microBatches;
    }

    @Override
    public Step forward(List<GrpoPrompt> rows, double normalizer) {
        // rows are the prompts the loop drew for this micro-batch; the completions of the step's prompts were shuffled
        // across its micro-batches in normalizer, so this one trains whatever slice comes next
        MicroBatch micro = pending.poll();
        if (micro == null) throw new IllegalStateException("forward without the rollouts of its micro-batch (normalizer first)");
        return step(micro.rollouts(), micro.advantages(), micro.old(), micro.ref(), normalizer, dapoTokens);
    }

    /**
     * The loss of fixed completions with their advantages and, for num_iterations > 1, their generation-time
     * per-token log-probs ({@code old}, flattened in order; null: the detached policy), divided by
     * {@code normalizer}; with TRL's metrics.
     */
    public Step step(List<Rollout> rollouts, double[] advantages, double[] old, double normalizer) {
        return step(rollouts, advantages, old, null, normalizer, dapoTokens);
    }

    /** @param tokens the completion tokens the dapo loss divides by */
    private Step step(List<Rollout> rollouts, double[] advantages, double[] old, double[] knownRef, double normalizer, double tokens) {
        int[] offsets = new int[rollouts.size() + 1];
        for (int i = 0; i < rollouts.size(); i++) offsets[i + 1] = offsets[i] + rollouts.get(i).completionIds().length;
        ScoredTokens batch = batch(rollouts);
        double temperature = s.sampling().temperature();
        TokenStats stats = new TokenStats(batch.count());
        double[] ref = knownRef;
        long refStarted = System.nanoTime();
        // the reference first: its no-grad forward's temporaries are garbage before the policy's graph holds its activations
        if (ref == null && s.loss().beta() != 0) ref = reference.perToken(batch, temperature);
        double refSeconds = (System.nanoTime() - refStarted) / 1e9;
        long forwardStarted = System.nanoTime();
        Variable logps = CompletionLogProbs.perToken(policy, batch, s.checkpointing(), temperature, stats);
        GrpoLoss.Batch b = new GrpoLoss.Batch(offsets, old, ref, advantages);
        Variable l = VectorLoss.apply(x -> s.loss().evaluate(x, b, tokens), logps);
        if (normalizer != 1) l = Elementwise.scale(l, 1.0 / normalizer);
        double forwardSeconds = (System.nanoTime() - forwardStarted) / 1e9;
        Map<String, Double> m = new LinkedHashMap<>();
        if (generationMetrics != null) {
            // TRL appends a generation's metrics once (its log takes the mean over the appended values, per key)
            m.putAll(generationMetrics);
            generationMetrics = null;
        }
        m.putAll(s.loss().metrics(logps.value().toDoubleArray(), b));
        // TRL 1.13 (_compute_loss): entropy = the mean over the micro-batch's completion tokens of the entropy of
        // softmax(logits / temperature), the distribution the tokens were sampled from
        double entropy = 0;
        for (int k = 0; k < stats.rows(); k++) entropy += stats.entropy(k) / stats.rows();
        m.put("entropy", entropy);
        if (s.loss().beta() != 0) m.put(REFERENCE_SECONDS, refSeconds);
        m.put(POLICY_FORWARD_SECONDS, forwardSeconds);
        return new Step(l, batch.tokens(), m);
    }

    /** The completion tokens the dapo loss divides by (set per generation batch; for {@link #step} on fixed completions). */
    public void dapoTokens(double tokens) {
        this.dapoTokens = tokens;
    }

    /**
     * TRL 1.13's evaluation of one batch of prompts (_prepare_inputs in eval mode, then prediction_step): completions
     * sampled afresh from the policy as it is (the loop has turned dropout off), scored and turned into advantages
     * within the batch — no buffering, no reuse, no dynamic sampling, nothing in completions.jsonl — and the loss taken
     * without gradients with the policy as its own old policy (ratio 1) and no accumulation division (dapo: over the
     * batch's completion tokens). eval_loss is the completion-weighted mean over the batches (HF's evaluation loop);
     * the generation and loss metrics are logged with an eval_ prefix (TRL's log in eval mode). Each evaluation batch
     * samples with its own seed, counted in {@link #state()}.
     */
    @Override
    public Evaluation evaluate(List<GrpoPrompt> rows) {
        GenerationBatch g = generate(rows, (s.seed() ^ 0x6A09E667F3BCC909L) + evalBatches++ * 1_000_003L);
        double[] advantages = Advantages.of(g.total(), s.numGenerations(), s.scale());
        double tokens = 0;
        for (Rollout r : g.rollouts()) tokens += r.completionIds().length;
        Step step = step(g.rollouts(), advantages, null, null, 1, tokens);
        Map<String, Double> m = metrics(g.rollouts(), g.perFunction(), g.total());
        step.metrics().forEach((k, v) -> { if (!k.startsWith("profiling/")) m.put(k, v); });
        int n = g.rollouts().size();
        return new Evaluation(step.loss().value().item() * n, n, m);
    }

    /**
     * The completions of {@code rollouts} to score, on the policy's device: each distinct prompt once with its
     * completions behind it ({@link SharedPromptRows}) when the policy and the reference take shared-prefix rows (not
     * sliding-window or linear-attention models), else TRL's batch of prompt + completion rows. Same log-probs either way.
     */
    private ScoredTokens batch(List<Rollout> rollouts) {
        return (sharedPrompts() ? SharedPromptRows.collate(rollouts) : unshared(rollouts)).to(policy.device());
    }

    boolean sharedPrompts() {
        return packPrompts && policy.sharesPrefixes() && (reference == null || reference.sharesPrefixes());
    }

    /** One prompt + completion row per rollout (TRL's layout). */
    public static ScoredTokens unshared(List<Rollout> rollouts) {
        List<Encoded> sequences = new ArrayList<>();
        for (Rollout r : rollouts) sequences.add(sequence(r));
        return ScoredTokens.of(Collator.collate(sequences));
    }

    /** Turns the shared-prompt rows off (tests compare both layouts); on by default. */
    void packPrompts(boolean on) {
        this.packPrompts = on;
    }

    /** prompt + completion, the completion as labels (the per-token log-probs' targets). */
    static Encoded sequence(Rollout r) {
        int p = r.promptIds().length, n = p + r.completionIds().length;
        int[] ids = new int[n], labels = new int[n];
        System.arraycopy(r.promptIds(), 0, ids, 0, p);
        System.arraycopy(r.completionIds(), 0, ids, p, r.completionIds().length);
        for (int i = 0; i < n; i++) labels[i] = i < p ? Encoded.IGNORE : ids[i];
        return new Encoded(ids, labels);
    }

    /** TRL's generation metrics: reward, reward_std, frac_reward_zero_std, rewards/NAME/mean|std, completion lengths, clipped ratio. */
    private Map<String, Double> metrics(List<Rollout> rollouts, double[][] perFunction, double[] total) {
        Map<String, Double> m = new LinkedHashMap<>();
        int n = rollouts.size();
        double len = 0, min = Double.POSITIVE_INFINITY, max = 0, clipped = 0, termLen = 0, terminated = 0, termMin = Double.POSITIVE_INFINITY, termMax = 0;
        for (Rollout r : rollouts) {
            int l = r.completionIds().length;
            len += l;
            min = Math.min(min, l);
            max = Math.max(max, l);
            if (r.endedByEos()) {
                terminated++;
                termLen += l;
                termMin = Math.min(termMin, l);
                termMax = Math.max(termMax, l);
            } else {
                clipped++;
            }
        }
        m.put("completions/mean_length", len / n);
        m.put("completions/min_length", min);
        m.put("completions/max_length", max);
        m.put("completions/clipped_ratio", clipped / n);
        // TRL: the lengths of the completions that ended by EOS (a zero when none did)
        m.put("completions/mean_terminated_length", terminated == 0 ? 0 : termLen / terminated);
        m.put("completions/min_terminated_length", terminated == 0 ? 0 : termMin);
        m.put("completions/max_terminated_length", terminated == 0 ? 0 : termMax);
        for (int f = 0; f < perFunction.length; f++) {
            String name = s.rewards().names().get(f);
            m.put("rewards/" + name + "/mean", mean(perFunction[f]));
            m.put("rewards/" + name + "/std", Advantages.std(perFunction[f], 0, n));
        }
        m.put("reward", mean(total));
        // TRL 1.13: reward_std is the std of the whole batch's rewards; frac_reward_zero_std the fraction of completions
        // whose std used for scaling (the group's, or the batch's with scale_rewards batch) is ~0 (torch.isclose)
        m.put("reward_std", Advantages.std(total, 0, n));
        int zero = 0, groups = n / s.numGenerations();
        for (int g = 0; g < groups; g++) {
            double sd = s.scale() == Advantages.Scale.BATCH ? Advantages.std(total, 0, n) : Advantages.std(total, g * s.numGenerations(), (g + 1) * s.numGenerations());
            if (Math.abs(sd) <= 1e-8) zero++;
        }
        m.put("frac_reward_zero_std", (double) zero / groups);
        return m;
    }

    private static double mean(double[] v) {
        double sum = 0;
        for (double x : v) sum += x;
        return sum / v.length;
    }
}
