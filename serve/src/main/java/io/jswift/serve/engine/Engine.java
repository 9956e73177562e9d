package io.jswift.serve.engine;

import io.jswift.autograd.GradMode;
import io.jswift.models.decoder.KvBlockPool;
import io.jswift.models.decoder.PagedKvCache;
import io.jswift.models.generate.GenerationSession;
import io.jswift.models.generate.SequenceState;
import io.jswift.nn.lora.MultiLora;
import io.jswift.tensor.DType;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Continuous batching (Orca, Yu et al. 2022; vLLM's scheduler): one scheduler thread owns the model. Requests wait
 * in a bounded queue; between two engine steps, finished and cancelled sequences leave the running batch and
 * waiting ones are admitted; each step advances every running sequence by one token and prefills chunks of the
 * admitted prompts. A sequence's results do not depend on who else is in the batch: its sampler and cache are its own.
 *
 * <p>Stall-free batching (Sarathi-Serve, Agrawal et al. 2024; vLLM V1's scheduler): one engine step spends a token
 * budget ({@link EngineConfig#maxNumBatchedTokens}) on every running sequence's decode token first, then on prompt
 * chunks of the admitted sequences, oldest first, in what the decodes leave; a long prompt thus runs in chunks across
 * steps, and the running streams get a token every step. The decode rows and the text prompt chunks of a step are one
 * forward ({@link ModelRunner#step}: their tokens packed as the rows of one batch, each weight read once a step, attention
 * per sequence over its own blocks), for every model that {@link io.jswift.models.CausalLm#packsSequences packs
 * sequences}; Qwen3-Next (a recurrent state along each sequence), LongRoPE models and Qwen2-VL run the decode batch and
 * each chunk as forwards of their own, as does a chunk of a prompt with images. Keys and values live in a bounded {@link KvBlockPool}
 * (paged, with prompt prefixes shared): a sequence is admitted once the pool can hold its worst case (prompt + max
 * new tokens) next to what the admitted ones may still take, so a running sequence never runs out of blocks (no
 * preemption needed).
 *
 * <p>Multi-LoRA: with {@link MultiLora} adapters on the model, each sequence names its adapter (or none) and sequences of
 * different adapters share one step (S-LoRA / Punica: the base product once for the batch, the low-rank products
 * per adapter's rows; see {@link ModelRunner#step}). Prompt prefix blocks are shared only between sequences of the
 * same adapter, whose keys and values they are, and between prompts with images only when the images are the same
 * ({@link ImageKey}). A prompt with images is prefilled in chunks as well: its images are encoded once, then each chunk
 * takes the features of its own image tokens and its slice of the prompt's M-RoPE positions.
 */
public final class Engine implements AutoCloseable {
    private final GenerationSession session;
    private final EngineConfig config;
    private final EngineObserver observer;
    private final ModelRunner runner;
    private final MultiLora adapters;                                       // null: the base model only
    private final KvBlockPool pool;                                         // scheduler thread only
    private volatile int blocksUsed, stateSlotsUsed;
    private final int stateSlots;                                           // recurrent-state slots of linear-attention layers (0: none)
    private final long blockBytes, stateBytes;                              // memory of the pool's blocks and of its state slots
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition work = lock.newCondition();
    private final ArrayDeque<RunningSequence> waiting = new ArrayDeque<>(); // guarded by lock
    private final List<RunningSequence> running = new ArrayList<>();        // scheduler thread only: decoding
    private final ArrayList<RunningSequence> prefilling = new ArrayList<>(); // scheduler thread only: admitted, prompt partly in
    private volatile int runningCount;
    private boolean paused, draining, closed;                               // guarded by lock
    private final Condition idle = lock.newCondition();                     // signalled when nothing is left to run
    private final Thread thread;

    public Engine(GenerationSession session, EngineConfig config, EngineObserver observer) {
        this(session, config, observer, null);
    }

    /** An engine whose sequences may run with any of {@code adapters} (installed on the session's model), or none. */
    public Engine(GenerationSession session, EngineConfig config, EngineObserver observer, MultiLora adapters) {
        this.session = session;
        this.config = config;
        this.observer = observer;
        this.adapters = adapters;
        this.runner = new ModelRunner(session.model(), adapters, observer);
        DType kvDtype = config.kvCacheDtype() != null ? config.kvCacheDtype() : KvBlockPool.autoDtype(session.model());
        long blockBytes = KvBlockPool.bytesPerBlock(session.model(), kvDtype, config.blockSize());
        // Qwen3-Next: one recurrent-state slot per sequence admitted at once, counted in the same memory bound as the blocks
        this.stateBytes = config.maxNumSeqs() * KvBlockPool.bytesPerStateSlot(session.model());
        int blocks = config.poolBlocks(blockBytes, stateBytes); // a bf16 pool: twice the blocks
        this.blockBytes = blocks * blockBytes;
        // no sequence is longer than the pool: the gather scratch needs no more
        // a model with linear-attention layers (Qwen3-Next): one recurrent-state slot per sequence admitted at once
        this.pool = KvBlockPool.forModel(session.model(), kvDtype, blocks, config.blockSize(), Math.min(config.maxModelLen(), blocks * config.blockSize()),
                config.maxNumSeqs());
        this.stateSlots = pool.stateSlotsAvailable();
        this.thread = Thread.ofPlatform().name("jswift-scheduler").daemon(true).unstarted(this::loop);
    }

    public void start() { thread.start(); }

    public EngineConfig config() { return config; }

    public GenerationSession session() { return session; }

    /**
     * Queues all {@code requests} (the n choices of one API request) or none of them: their sequences start once
     * batch slots free up. Throws when the waiting queue has no room for all of them.
     */
    public List<SequenceHandle> submit(List<SequenceRequest> requests) throws QueueFullException, ShuttingDownException {
        long now = System.nanoTime();
        List<RunningSequence> seqs = new ArrayList<>();
        int vocab = session.model().vocabSize();
        for (SequenceRequest r : requests) {
            for (int id : r.prompt()) {
                if (id < 0 || id >= vocab) throw new IllegalArgumentException("prompt token id " + id + " is outside the model's vocabulary [0, " + vocab + ")");
            }
            int blocks = pool.blocksFor(r.prompt().length + r.params().maxNewTokens());
            if (blocks > pool.blocks()) {
                throw new IllegalArgumentException("prompt + max new tokens need " + blocks + " KV blocks of " + pool.blockSize()
                        + " positions: the pool has " + pool.blocks() + " (raise --kv_cache_blocks or lower max_tokens)");
            }
            if (r.prompt().length + r.params().maxNewTokens() > config.maxModelLen()) {
                throw new IllegalArgumentException("prompt (" + r.prompt().length + " tokens) + max new tokens (" + r.params().maxNewTokens()
                        + ") exceed max_model_len " + config.maxModelLen());
            }
            int adapter = adapterIndex(r.adapter());
            long namespace = r.images() == null ? prefixNamespace(adapter) : ImageKey.namespace(prefixNamespace(adapter), r.images());
            seqs.add(new RunningSequence(r, session.newSequence(r.prompt(), r.params(), r.topLogprobs(), r.ignoreEos()), adapter, namespace, now));
        }
        lock.lock();
        try {
            if (closed || draining) throw new ShuttingDownException();
            // a request may wait only if all its sequences fit behind what waits and what runs
            int free = config.maxWaiting() + Math.max(0, config.maxNumSeqs() - runningCount) - waiting.size();
            if (seqs.size() > free) {
                throw new QueueFullException("the server is busy: " + runningCount + " sequences running and " + waiting.size()
                        + " waiting (max_num_seqs " + config.maxNumSeqs() + ", max_waiting_seqs " + config.maxWaiting() + ")");
            }
            waiting.addAll(seqs);
            work.signalAll();
        } finally {
            lock.unlock();
        }
        return List.copyOf(seqs);
    }

    /** The LoRA adapters sequences may name, in index order (empty: the base model only). */
    public List<String> adapterNames() { return adapters == null ? List.of() : adapters.names(); }

    private int adapterIndex(String name) {
        if (name == null) return -1;
        int i = adapters == null ? -1 : adapters.index(name);
        if (i < 0) throw new IllegalArgumentException("unknown LoRA adapter '" + name + "': this engine serves " + adapterNames());
        return i;
    }

    /** Sequences in the running batch. */
    public int running() { return runningCount; }

    /** Sequences queued for a batch slot. */
    public int waiting() {
        lock.lock();
        try {
            return waiting.size();
        } finally {
            lock.unlock();
        }
    }

    /** Positions held in KV caches by running sequences. */
    public long cachedTokens() { return cachedTokens; }
    private volatile long cachedTokens;

    /** Stops taking steps after the current one (requests still queue); {@link #resume()} continues. */
    public void pause() {
        lock.lock();
        try {
            paused = true;
        } finally {
            lock.unlock();
        }
    }

    public void resume() {
        lock.lock();
        try {
            paused = false;
            work.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Stops admitting requests (submit throws {@link ShuttingDownException}) and waits until every admitted and
     * queued sequence has finished, or {@code timeout} passed; returns whether all finished.
     */
    public boolean drain(Duration timeout) throws InterruptedException {
        long left = timeout.toNanos();
        lock.lock();
        try {
            draining = true;
            paused = false;
            work.signalAll();
            while (busy() && left > 0) left = idle.awaitNanos(left);
            return !busy();
        } finally {
            lock.unlock();
        }
    }

    /** True once {@link #drain} began. */
    public boolean draining() {
        lock.lock();
        try {
            return draining;
        } finally {
            lock.unlock();
        }
    }

    private boolean busy() { return runningCount > 0 || !waiting.isEmpty(); }

    @Override
    public void close() {
        lock.lock();
        try {
            closed = true;
            work.signalAll();
        } finally {
            lock.unlock();
        }
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * One iteration per engine step: cancelled sequences leave, waiting ones are admitted while the batch has room,
     * every running sequence advances by one token, and the prompt chunks the step's budget has left room for are
     * prefilled (oldest admitted first), in one forward where the model packs sequences ({@link #runStep}).
     */
    private void loop() {
        try (var g = GradMode.noGrad()) {
            while (true) {
                lock.lock();
                try {
                    while (!closed && (paused || (running.isEmpty() && prefilling.isEmpty() && waiting.isEmpty()))) work.awaitUninterruptibly();
                    if (closed) break;
                    dropCancelled();
                    int room = pool.available() - outstandingBlocks();
                    while (running.size() + prefilling.size() < config.maxNumSeqs() && !waiting.isEmpty()) {
                        RunningSequence s = waiting.peek();
                        if (s.cancelled()) {
                            waiting.poll();
                            cancelled(s);
                            continue;
                        }
                        int need = pool.blocksFor(s.request.prompt().length + s.request.params().maxNewTokens());
                        if (need > room) break; // first come, first served: it waits for blocks
                        waiting.poll();
                        s.reservedBlocks = need;
                        room -= need;
                        prefilling.add(s);
                    }
                    runningCount = running.size() + prefilling.size(); // admitted ones count as running from here on
                } finally {
                    lock.unlock();
                }
                // decodes first, never skipped (the budget is >= max_num_seqs); prompts get what they leave
                int decodes = running.size();
                int prefilled = runStep(List.copyOf(running), planChunks(config.prefillBudget(decodes)));
                observer.stepScheduled(decodes, prefilled);
                runningCount = running.size() + prefilling.size();
                if (runningCount == 0) signalIdle();
                long cached = 0;
                for (RunningSequence s : running) cached += s.cache.length();
                for (RunningSequence s : prefilling) cached += s.cache == null ? 0 : s.cache.length();
                cachedTokens = cached;
                blocksUsed = pool.used();
                stateSlotsUsed = stateSlots - pool.stateSlotsAvailable();
            }
            failAll(new IllegalStateException("the server is shutting down"));
        }
    }

    private void signalIdle() {
        lock.lock();
        try {
            if (waiting.isEmpty()) idle.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private void dropCancelled() {
        for (List<RunningSequence> list : List.of(running, prefilling)) {
            for (Iterator<RunningSequence> it = list.iterator(); it.hasNext(); ) {
                RunningSequence s = it.next();
                if (s.cancelled()) {
                    it.remove();
                    cancelled(s);
                }
            }
        }
    }

    /**
     * The prompt chunks of this step: up to {@code budget} prompt tokens of the admitted sequences, oldest first. A
     * sequence's cache is opened at its first chunk (the pool's blocks of a shared prompt prefix need no prefill). A
     * prompt that would share more blocks once a chunk planned in this step is in ({@link #waitsForPrefix}) waits a step.
     */
    private List<PromptChunk> planChunks(int budget) {
        List<PromptChunk> chunks = new ArrayList<>();
        for (RunningSequence s : prefilling) {
            if (budget <= 0) break;
            if (s.cache == null) {
                if (waitsForPrefix(s, chunks)) continue;
                s.cache = PagedKvCache.open(pool, s.request.prompt(), s.request.prompt().length + s.request.params().maxNewTokens(), s.prefixNamespace);
                s.prefilled = s.cache.length();
                if (s.prefilled > 0) observer.prefixCacheHit(s.prefilled);
            }
            int n = Math.min(budget, s.request.prompt().length - s.prefilled); // open leaves at least the last token
            chunks.add(new PromptChunk(s, n));
            budget -= n;
        }
        return chunks;
    }

    /**
     * Whether {@code s}, not yet opened, would find more of its prompt in the pool after this step: a chunk planned in it
     * writes full blocks of the same prefix (same adapter and images) that are not registered yet. Blocks are shared once
     * written, so it opens next step and takes them from the pool rather than prefilling a copy (vLLM's requests with a
     * common prefix in one step hit the blocks their predecessor computes in it; here they wait one step for them).
     */
    private boolean waitsForPrefix(RunningSequence s, List<PromptChunk> planned) {
        if (!pool.sharesPrefixes()) return false;
        int bs = pool.blockSize();
        int[] prompt = s.request.prompt();
        for (PromptChunk c : planned) {
            RunningSequence o = c.seq();
            if (o.prefixNamespace != s.prefixNamespace) continue;
            int[] other = o.request.prompt();
            int common = Arrays.mismatch(prompt, other);
            if (common < 0) common = prompt.length;
            int shareable = Math.min(common, prompt.length - 1) / bs; // open leaves the last token to prefill
            if (Math.min(shareable, (o.prefilled + c.tokens()) / bs) > o.prefilled / bs) return true;
        }
        return false;
    }

    /**
     * Runs one engine step and returns the prompt tokens it prefilled. With a model that packs sequences
     * ({@link ModelRunner#packs}) the decode rows and the text prompt chunks are one forward ({@link ModelRunner#step});
     * otherwise, and for chunks of prompts with images, the decode rows are one batched forward and each chunk one of
     * its own. Decoded tokens are emitted first; a sequence whose prompt is complete samples its first token and joins
     * the batch (it decodes from the next step on).
     */
    private int runStep(List<RunningSequence> decodes, List<PromptChunk> chunks) {
        List<PromptChunk> packed = new ArrayList<>();
        if (runner.packs()) for (PromptChunk c : chunks) if (c.seq().request.images() == null) packed.add(c);
        float[][] decoded = null, chunkLogits = null;
        try {
            if (runner.packs() && (!decodes.isEmpty() || !packed.isEmpty())) {
                float[][] all = runner.step(decodes, packed);
                decoded = Arrays.copyOf(all, decodes.size());
                chunkLogits = Arrays.copyOfRange(all, decodes.size(), all.length);
            } else if (!decodes.isEmpty()) {
                decoded = runner.decode(decodes);
            }
        } catch (RuntimeException e) {
            for (RunningSequence s : decodes) fail(s, e);
            for (PromptChunk c : packed) {
                prefilling.remove(c.seq());
                fail(c.seq(), e);
            }
            chunkLogits = null;
        }
        if (decoded != null) {
            for (int r = 0; r < decodes.size(); r++) if (!decodes.get(r).state.finished()) emit(decodes.get(r), decoded[r]);
        }
        int done = 0;
        for (PromptChunk c : chunks) {
            RunningSequence s = c.seq();
            int j = packed.indexOf(c);
            if (j >= 0 && chunkLogits == null) continue; // the packed forward failed: the sequence is gone
            float[] logits;
            if (j >= 0) {
                logits = chunkLogits[j];
            } else {
                try {
                    // a prompt with images chunks as text does: its images are encoded once, each chunk takes its slice (ModelRunner)
                    logits = runner.prefill(s, c.tokens());
                } catch (RuntimeException e) {
                    prefilling.remove(s);
                    fail(s, e);
                    continue;
                }
            }
            done += c.tokens();
            observer.prefilled(c.tokens());
            if (s.prefilled == s.request.prompt().length) { // both forwards advanced it
                handOverImages(s);
                prefilling.remove(s);
                running.add(s);
                emit(s, logits);
            }
        }
        return done;
    }

    /**
     * A sequence whose prompt is in gives its encoded images to the waiting choices of the same request (the same images
     * and prompt: vLLM's encoder cache within a request) and drops them: the vision tower runs once per request.
     */
    private void handOverImages(RunningSequence s) {
        if (s.encoded == null) return;
        for (RunningSequence o : prefilling) {
            if (o != s && o.encoded == null && o.request.images() == s.request.images() && o.request.prompt() == s.request.prompt()) o.encoded = s.encoded;
        }
        s.encoded = null;
    }

    /** Samples the sequence's next token, tells its listener, and takes it out of the batch once it ended. */
    private void emit(RunningSequence s, float[] logits) {
        if (s.cancelled()) {
            running.remove(s);
            cancelled(s);
            return;
        }
        SequenceState.Step step;
        try {
            step = s.state.advance(logits);
        } catch (RuntimeException e) {
            fail(s, e);
            return;
        }
        long now = System.nanoTime();
        boolean first = s.lastTokenNanos == 0;
        observer.tokenGenerated(now - s.submittedNanos, first ? 0 : now - s.lastTokenNanos, first);
        s.lastTokenNanos = now;
        s.request.listener().onStep(step);
        if (step.finish() != null) {
            running.remove(s);
            release(s);
            observer.sequenceEnded(false);
        }
    }

    /** Prefix blocks are shared within one adapter only: a distinct chain-hash seed per adapter, 0 for the base model. */
    private static long prefixNamespace(int adapter) { return (adapter + 1L) * 0x9E3779B97F4A7C15L; }

    /** Blocks the admitted sequences may still allocate (their reservation beyond what they hold). */
    private int outstandingBlocks() {
        int n = 0;
        for (List<RunningSequence> list : List.of(running, prefilling)) {
            for (RunningSequence s : list) n += s.reservedBlocks - (s.cache == null ? 0 : s.cache.blockCount());
        }
        return n;
    }

    /** KV blocks held by running sequences (shared prefix blocks once). */
    public int kvBlocksUsed() { return blocksUsed; }

    public int kvBlocksTotal() { return pool.blocks(); }

    /** Recurrent-state slots (Qwen3-Next's linear-attention layers) held by admitted sequences; 0 for other models. */
    public int stateSlotsUsed() { return stateSlotsUsed; }

    /** Recurrent-state slots of the pool (max_num_seqs for a model with linear-attention layers, else 0). */
    public int stateSlotsTotal() { return stateSlots; }

    /** Bytes of the KV pool's blocks. */
    public long kvBlockBytes() { return blockBytes; }

    /** Bytes of the pool's recurrent-state slots (0 without linear-attention layers), within the same memory bound as the blocks. */
    public long stateSlotBytes() { return stateBytes; }

    /** The dtype of the KV pool's blocks. */
    public DType kvCacheDtype() { return pool.dtype(); }

    private static void release(RunningSequence s) {
        if (s.cache != null) s.cache.release();
    }

    private void cancelled(RunningSequence s) {
        release(s);
        observer.sequenceEnded(true);
        s.request.listener().onCancelled();
    }

    private void fail(RunningSequence s, RuntimeException e) {
        running.remove(s);
        release(s);
        observer.sequenceEnded(false);
        s.request.listener().onFailure(e);
    }

    private void failAll(RuntimeException e) {
        for (RunningSequence s : List.copyOf(running)) fail(s, e);
        for (RunningSequence s : List.copyOf(prefilling)) fail(s, e);
        prefilling.clear();
        lock.lock();
        try {
            for (RunningSequence s : waiting) s.request.listener().onFailure(e);
            waiting.clear();
        } finally {
            lock.unlock();
        }
        runningCount = 0;
    }
}
