package io.jswift.train.run;

import io.jswift.nn.Module;
import io.jswift.tensor.Generator;

import java.io.PrintStream;
import java.util.Map;

/**
 * What a {@link TrainingLoop} needs besides its objective.
 *
 * @param command    the jswift command, for messages (pt, sft, rlhf)
 * @param model      the trained model, already on its device (its trainable parameters are optimized)
 * @param weights    what a checkpoint saves of it (full weights or an adapter)
 * @param dropoutRng the generator every dropout of the model draws from (its offset is checkpointed), or null
 * @param argsJson   what goes to {@code args.json} (all flags of the command, ms-swift style)
 */
public record RunSetup(String command, TrainArgs args, Module model, TrainedWeights weights, Generator dropoutRng,
                       Map<String, Object> argsJson, PrintStream out) {}
