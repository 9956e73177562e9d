package io.jswift.train.run;

import java.io.IOException;
import java.nio.file.Path;

/**
 * What a checkpoint holds of the model: the full weights (full fine-tuning, HF layout) or only an adapter
 * (LoRA / DoRA, PEFT layout). The trainer writes optimizer and trainer state around it.
 */
public interface TrainedWeights {
    /** Writes the weights (and the files that make the directory loadable on its own) into {@code checkpointDir}. */
    void write(Path checkpointDir) throws IOException;

    /** Loads what {@link #write} wrote back into the live model (resume). */
    void restore(Path checkpointDir) throws IOException;
}
