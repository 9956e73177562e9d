package io.jswift.models.decoder;

import io.jswift.models.config.GatedDeltaNetConfig;
import io.jswift.nn.deltanet.DeltaNetState;
import io.jswift.tensor.DType;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.Backend;

import java.util.ArrayDeque;

/**
 * The recurrent state of the linear-attention layers (Qwen3-Next's Gated DeltaNet) of the sequences a {@link KvBlockPool}
 * serves, in slots (vLLM's mamba cache: one state slot per running request, taken when the request starts, given back when it
 * ends): per linear layer the conv windows [slots, K-1, C] and the delta-rule states [slots, Hv, Dk, Dv], f32 (a bf16
 * state of a bf16 model is stored exactly). Unlike keys and values, a state is one per sequence, whatever its length, and it
 * sums the whole prefix: it cannot be shared between prompts block by block, so prefix caching is off for these models
 * (vLLM's default for hybrid models: its opt-in mamba_cache_mode "align" stores extra state checkpoints at block boundaries).
 * Not thread-safe: the engine's scheduler thread owns it.
 */
final class RecurrentStatePool {
    private final Tensor[] windows, states; // per layer [slots, K-1, C] and [slots, Hv, Dk, Dv]; null for a full-attention layer
    private final ArrayDeque<Integer> free = new ArrayDeque<>();
    private final int slots;

    RecurrentStatePool(Backend backend, GatedDeltaNetConfig config, int layers, int slots) {
        if (slots < 1) throw new IllegalArgumentException("a model with linear-attention layers needs >= 1 recurrent-state slot, got " + slots);
        this.slots = slots;
        windows = new Tensor[layers];
        states = new Tensor[layers];
        for (int l = 0; l < layers; l++) {
            if (!config.linear(l)) continue;
            windows[l] = backend.allocate(DType.F32, slots, config.convKernel() - 1, config.convChannels());
            states[l] = backend.allocate(DType.F32, slots, config.numValueHeads(), config.keyHeadDim(), config.valueHeadDim());
        }
        for (int s = 0; s < slots; s++) free.add(s);
    }

    /** Bytes of one slot over all linear layers. */
    static long bytesPerSlot(GatedDeltaNetConfig config, int layers) {
        long linear = 0;
        for (int l = 0; l < layers; l++) if (config.linear(l)) linear++;
        return linear * 4L * ((long) (config.convKernel() - 1) * config.convChannels()
                + (long) config.numValueHeads() * config.keyHeadDim() * config.valueHeadDim());
    }

    boolean linear(int layer) { return windows[layer] != null; }

    /** Layers of the model (full-attention ones have no state). */
    int layers() { return windows.length; }

    int slots() { return slots; }

    /** Slots no sequence holds. */
    int available() { return free.size(); }

    /** A slot for a new sequence, zeroed (a zero state: nothing seen yet). */
    int take() {
        Integer s = free.poll();
        if (s == null) {
            throw new IllegalStateException("all " + slots + " recurrent-state slots of the linear-attention layers are taken: the scheduler admits at most "
                    + "that many sequences");
        }
        for (int l = 0; l < windows.length; l++) {
            if (windows[l] == null) continue;
            windows[l].backend().fill(windows[l].narrow(0, s, 1), 0);
            states[l].backend().fill(states[l].narrow(0, s, 1), 0);
        }
        return s;
    }

    void release(int slot) {
        if (free.contains(slot)) throw new IllegalStateException("recurrent-state slot " + slot + " released twice");
        free.add(slot);
    }

    /** The state of {@code layer} for rows {@code slots} in order, [B, ...] (a copy the layer reads and replaces). */
    DeltaNetState load(int layer, int[] slots) {
        if (slots.length == 1) return new DeltaNetState(windows[layer].narrow(0, slots[0], 1), states[layer].narrow(0, slots[0], 1));
        return new DeltaNetState(gather(windows[layer], slots), gather(states[layer], slots));
    }

    /** Writes row r of the updated {@code state} of {@code layer} into slot slots[r]. */
    void store(int layer, int[] slots, DeltaNetState state) {
        Backend b = windows[layer].backend();
        for (int r = 0; r < slots.length; r++) {
            b.copy(state.convWindow().narrow(0, r, 1), windows[layer].narrow(0, slots[r], 1));
            b.copy(state.recurrent().narrow(0, r, 1), states[layer].narrow(0, slots[r], 1));
        }
    }

    private static Tensor gather(Tensor all, int[] slots) {
        int[] shape = all.shape();
        shape[0] = slots.length;
        Tensor out = all.backend().allocate(all.dtype(), shape);
        for (int r = 0; r < slots.length; r++) all.backend().copy(all.narrow(0, slots[r], 1), out.narrow(0, r, 1));
        return out;
    }
}
