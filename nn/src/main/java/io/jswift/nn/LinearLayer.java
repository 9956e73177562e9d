package io.jswift.nn;

import io.jswift.autograd.Variable;

/**
 * What a parent needs from a linear projection: plain {@link Linear}, or an adapter that wraps one
 * (LoRA, DoRA). Parents look their projections up by name at forward time, so replacing a child
 * with {@link Module#replaceModule} changes the computation without touching the parent.
 */
public interface LinearLayer {
    /** x [..., in] → [..., out]. */
    Variable forward(Variable x);

    int inFeatures();

    int outFeatures();

    /** The projection registered as {@code name} in {@code parent}. */
    static LinearLayer child(Module parent, String name) {
        Module m = parent.children().get(name);
        if (!(m instanceof LinearLayer l)) {
            throw new IllegalStateException(parent.getClass().getSimpleName() + " has no linear child '" + name + "'");
        }
        return l;
    }
}
