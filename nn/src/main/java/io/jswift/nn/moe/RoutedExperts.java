package io.jswift.nn.moe;

import io.jswift.autograd.Variable;

/** The routed experts of a MoE block: rows grouped by expert in, each row's (unweighted) expert output out. */
public interface RoutedExperts {
    /** rows [M, C] sorted by expert, {@code counts[e]} rows for expert e → [M, C]. */
    Variable forward(Variable rows, int[] counts);
}
