package io.jswift.autograd;

import io.jswift.tensor.HostStorage;
import io.jswift.tensor.Storage;
import io.jswift.tensor.Tensor;

import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Gives the memory of backward's temporary gradients back to the allocator as soon as the engine is done with
 * them, instead of when a garbage collection finds them dead (Java has no reference counts, and without this a
 * backward pass keeps allocating fresh memory until the next collection). Only storages allocated during this
 * backward qualify; one is released when no pending gradient still views it and it never escaped (became a
 * leaf's {@code .grad}). A gradient that aliases another (a view returned by a backward, the same tensor sent to
 * two inputs) shares its storage, and storages are counted, not tensors.
 */
final class GradientRecycler {
    private final long mark = HostStorage.allocationMark();
    private final Map<Storage, Integer> held = new IdentityHashMap<>();
    private final Set<Storage> escaped = Collections.newSetFromMap(new IdentityHashMap<>());

    /** {@code t} is now a pending gradient. */
    void hold(Tensor t) {
        held.merge(t.storage(), 1, Integer::sum);
    }

    /** {@code t} stops being a pending gradient; released when nothing else holds its storage. */
    void drop(Tensor t) {
        Storage s = t.storage();
        Integer n = held.get(s);
        if (n == null) return; // the root gradient (the caller's), never held
        if (n > 1) {
            held.put(s, n - 1);
            return;
        }
        held.remove(s);
        if (!escaped.contains(s)) HostStorage.releaseIfNewer(s, mark);
    }

    /** {@code t} was used up (added into another gradient) without ever being held. */
    void consumed(Tensor t) {
        Storage s = t.storage();
        if (!held.containsKey(s) && !escaped.contains(s)) HostStorage.releaseIfNewer(s, mark);
    }

    /**
     * Per returned gradient: whether nothing else can reference it, so that a leaf may own it and accumulate
     * into it in place. True for a storage allocated during this backward (or handed off by the function from
     * its saved tensors) that no pending gradient, no leaf and no other gradient of the same call views.
     */
    boolean[] exclusive(Tensor[] grads, Context ctx) {
        boolean[] out = new boolean[grads.length];
        for (int i = 0; i < grads.length; i++) {
            Tensor t = grads[i];
            if (t == null) continue;
            Storage s = t.storage();
            boolean fresh = HostStorage.allocatedAfter(s, mark) || ctx.handedOff(t);
            if (!fresh || held.containsKey(s) || escaped.contains(s)) continue;
            boolean shared = false;
            for (int j = 0; j < grads.length && !shared; j++) shared = j != i && grads[j] != null && grads[j].storage() == s;
            out[i] = !shared;
        }
        return out;
    }

    /** {@code t} outlives backward (a leaf's gradient): never released. */
    void escape(Tensor t) {
        escaped.add(t.storage());
    }
}
