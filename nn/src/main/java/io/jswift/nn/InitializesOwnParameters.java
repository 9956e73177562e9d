package io.jswift.nn;

import io.jswift.tensor.Generator;

import java.util.List;

/**
 * A module with parameters of its own besides its child layers (GPT-OSS's attention {@code sinks}), which
 * {@link HfInit} cannot know: it initializes them as its transformers {@code _init_weights} branch does.
 */
public interface InitializesOwnParameters {
    /** Sets this module's own parameters for {@code initializer_range} {@code range}; returns them. */
    List<Parameter> initialize(double range, Generator gen);
}
