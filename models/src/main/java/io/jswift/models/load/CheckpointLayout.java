package io.jswift.models.load;

import io.jswift.tensor.Tensor;

import java.util.Map;

/**
 * How a family's checkpoint names relate to its module's field paths, both ways (transformers 5's conversion mapping:
 * applied when loading, reverted by save_pretrained). Most families store their field paths as they are.
 */
public interface CheckpointLayout {
    CheckpointLayout IDENTITY = new CheckpointLayout() {
        @Override
        public Map<String, Tensor> toModule(Map<String, Tensor> checkpoint, String source) { return checkpoint; }

        @Override
        public Map<String, Tensor> toCheckpoint(Map<String, Tensor> state) { return state; }
    };

    /** Checkpoint tensors (as stored) → the module's state-dict names; {@code source} names the files for messages. */
    Map<String, Tensor> toModule(Map<String, Tensor> checkpoint, String source);

    /** The module's state dict → the names and shapes a checkpoint of the family holds (what save_pretrained writes). */
    Map<String, Tensor> toCheckpoint(Map<String, Tensor> state);
}
