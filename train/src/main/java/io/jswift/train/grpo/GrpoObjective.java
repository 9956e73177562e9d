package io.jswift.train.grpo;

import io.jswift.autograd.Variable;
import io.jswift.autograd.ops.Elementwise;
import io.jswift.models.CausalLm;
import io.jswift.models.generate.SamplingParams;
import io.jswift.train.encode.Batch;
import io.jswift.train.encode.Collator;
import io.jswift.train.encode.Encoded;
import io.jswift.train.pref.CompletionLogProbs;
import io.jswift.train.pref.VectorLoss;
import io.jswift.train.run.Objective;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * {@code jswift rlhf --rlhf_type grpo}: one optimizer step of TRL 1.13's GRPOTrainer with num_iterations 1. The
 * loop hands the step's prompts to {@link #normalizer} first: there the whole generation batch is sampled from the
 * current policy ({@link Rollouts}), scored ({@link RewardFunctions}) and turned into advantages; each
 * {@link #forward} then takes the completions of its micro-batch's prompts, their per-token log-probs at the
 * sampling temperature and, with beta > 0, the reference's ({@link GrpoReference}, no gradients).
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
     */
    public record Settings(int[] eosIds, Function<int[], String> decoder, RewardFunctions rewards, GrpoLoss loss, Advantages.Scale scale,
                           int numGenerations, SamplingParams sampling, long seed, boolean checkpointing, Consumer<Scored> log) {}

    private final CausalLm policy;
    private final GrpoReference reference;
    private final Settings s;
    private final Deque<MicroBatch> pending = new ArrayDeque<>();
    private long generations;
    private Map<String, Double> stepMetrics = Map.of();
    private double dapoTokens;

    private record MicroBatch(List<Rollout> rollouts, double[] advantages) {}

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
    public double normalizer(List<List<GrpoPrompt>> microBatches) {
        List<GrpoPrompt> prompts = new ArrayList<>();
        microBatches.forEach(prompts::addAll);
        List<int[]> ids = prompts.stream().map(GrpoPrompt::promptIds).toList();
        long generation = generations++;
        List<Rollout> rollouts = Rollouts.sample(policy, s.eosIds(), ids, s.numGenerations(), s.sampling(), s.seed() + generation * 1_000_003L);
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
        double[] advantages = Advantages.of(total, s.numGenerations(), s.scale());
        stepMetrics = metrics(rollouts, perFunction, total);
        dapoTokens = 0;
        for (Rollout r : rollouts) dapoTokens += r.completionIds().length;
        if (s.log() != null) {
            for (int i = 0; i < rollouts.size(); i++) {
                Map<String, Double> byName = new LinkedHashMap<>();
                for (int f = 0; f < perFunction.length; f++) byName.put(s.rewards().names().get(f), perFunction[f][i]);
                s.log().accept(new Scored(generation, prompts.get(rollouts.get(i).prompt()), rollouts.get(i), texts.get(i), byName, advantages[i]));
            }
        }
        pending.clear();
        int start = 0;
        for (List<GrpoPrompt> micro : microBatches) {
            int n = micro.size() * s.numGenerations();
            pending.add(new MicroBatch(rollouts.subList(start, start + n), java.util.Arrays.copyOfRange(advantages, start, start + n)));
            start += n;
        }
        return s.loss().type() == GrpoLoss.Type.DAPO ? 1 : microBatches.size();
    }

    @Override
    public Step forward(List<GrpoPrompt> rows, double normalizer) {
        MicroBatch micro = pending.poll();
        if (micro == null || micro.rollouts().size() != rows.size() * s.numGenerations()) {
            throw new IllegalStateException("forward without the rollouts of its micro-batch (normalizer first)");
        }
        return step(micro.rollouts(), micro.advantages(), null, normalizer);
    }

    /**
     * The loss of fixed completions with their advantages and, for num_iterations > 1, their generation-time
     * per-token log-probs ({@code old}, flattened in order; null: the detached policy), divided by
     * {@code normalizer}; with TRL's metrics.
     */
    public Step step(List<Rollout> rollouts, double[] advantages, double[] old, double normalizer) {
        List<Encoded> sequences = new ArrayList<>();
        int[] offsets = new int[rollouts.size() + 1];
        for (int i = 0; i < rollouts.size(); i++) {
            Rollout r = rollouts.get(i);
            sequences.add(sequence(r));
            offsets[i + 1] = offsets[i] + r.completionIds().length;
        }
        Batch batch = Collator.collate(sequences).to(policy.device());
        double temperature = s.sampling().temperature();
        Variable logps = CompletionLogProbs.perToken(policy, batch, s.checkpointing(), temperature);
        double[] ref = null;
        if (s.loss().beta() != 0) ref = reference.perToken(batch, temperature);
        GrpoLoss.Batch b = new GrpoLoss.Batch(offsets, old, ref, advantages);
        double tokens = dapoTokens;
        Variable l = VectorLoss.apply(x -> s.loss().evaluate(x, b, tokens), logps);
        if (normalizer != 1) l = Elementwise.scale(l, 1.0 / normalizer);
        Map<String, Double> m = new LinkedHashMap<>(stepMetrics);
        m.putAll(s.loss().metrics(logps.value().toDoubleArray(), b));
        return new Step(l, batch.tokens(), m);
    }

    /** The completion tokens the dapo loss divides by (set per generation batch; for {@link #step} on fixed completions). */
    public void dapoTokens(double tokens) {
        this.dapoTokens = tokens;
    }

    @Override
    public Evaluation evaluate(List<GrpoPrompt> rows) {
        throw new UnsupportedOperationException("grpo has no evaluation yet: drop --val_dataset / --split_dataset_ratio");
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

    /** TRL's generation metrics: reward, reward_std, rewards/NAME/mean|std, completion lengths, clipped ratio. */
    private Map<String, Double> metrics(List<Rollout> rollouts, double[][] perFunction, double[] total) {
        Map<String, Double> m = new LinkedHashMap<>();
        int n = rollouts.size();
        double len = 0, min = Double.POSITIVE_INFINITY, max = 0, clipped = 0, termLen = 0, terminated = 0;
        for (Rollout r : rollouts) {
            int l = r.completionIds().length;
            len += l;
            min = Math.min(min, l);
            max = Math.max(max, l);
            if (r.endedByEos()) {
                terminated++;
                termLen += l;
            } else {
                clipped++;
            }
        }
        m.put("completions/mean_length", len / n);
        m.put("completions/min_length", min);
        m.put("completions/max_length", max);
        m.put("completions/clipped_ratio", clipped / n);
        m.put("completions/mean_terminated_length", terminated == 0 ? 0 : termLen / terminated);
        for (int f = 0; f < perFunction.length; f++) {
            String name = s.rewards().names().get(f);
            m.put("rewards/" + name + "/mean", mean(perFunction[f]));
            m.put("rewards/" + name + "/std", Advantages.std(perFunction[f], 0, n));
        }
        m.put("reward", mean(total));
        double groupStd = 0;
        int zero = 0, groups = n / s.numGenerations();
        for (int g = 0; g < groups; g++) {
            double sd = Advantages.std(total, g * s.numGenerations(), (g + 1) * s.numGenerations());
            groupStd += sd / groups;
            if (sd == 0) zero++;
        }
        m.put("reward_std", groupStd);
        m.put("frac_reward_zero_std", (double) zero / groups);
        return m;
    }

    private static double mean(double[] v) {
        double sum = 0;
        for (double x : v) sum += x;
        return sum / v.length;
    }
}
