package io.jswift.nn;

import io.jswift.tensor.Generator;

import java.util.ArrayList;
import java.util.List;

/**
 * A module whose training forward draws random numbers (dropout). Activation checkpointing replays a block's
 * forward in backward and must rewind that generator first, or the recomputed masks would differ.
 */
public interface DrawsRandom {
    /** The generator the forward draws from in training mode, or null when it draws nothing. */
    Generator generator();

    /** The one generator that modules under {@code root} draw from, or null if none; several distinct ones are refused. */
    static Generator of(Module root) {
        List<String> owners = new ArrayList<>();
        Generator found = null;
        for (var e : root.namedModules().entrySet()) {
            if (!(e.getValue() instanceof DrawsRandom r) || r.generator() == null) continue;
            if (found != null && found != r.generator()) {
                throw new IllegalStateException("modules " + owners + " and '" + e.getKey() + "' draw from different generators; "
                        + "activation checkpointing can replay only one per block");
            }
            found = r.generator();
            owners.add(e.getKey());
        }
        return found;
    }
}
