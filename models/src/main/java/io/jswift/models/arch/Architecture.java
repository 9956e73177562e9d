package io.jswift.models.arch;

import io.jswift.models.config.ConfigJson;
import io.jswift.models.config.ModelConfig;
import io.jswift.models.load.CheckpointLayout;
import io.jswift.models.load.LoadedModel;
import io.jswift.tensor.Generator;

import java.util.List;
import java.util.Set;

/**
 * One supported Hugging Face architecture ({@code architectures[0]} of config.json): how its config parses, how its
 * modules are assembled, which linear layers PEFT's {@code all-linear} wraps in it (every nn.Linear but the output
 * layer, by leaf name), the built-in chat format to fall back on when a model ships no usable template (null: none), and
 * how its checkpoint names map to the module's ({@link CheckpointLayout}: MoE experts are stored per expert, held fused).
 */
public record Architecture(String hfName, Parser parser, Assembly assembly, List<String> allLinearTargets, String templateFallback,
                           CheckpointLayout layout) {
    /** config.json → the family's config record. */
    @FunctionalInterface
    public interface Parser {
        ModelConfig parse(ConfigJson config);
    }

    /**
     * The family's module tree for a parsed config: random weights from {@code gen}, or meta tensors to be replaced by a
     * checkpoint when {@code gen} is null; {@code checkpointNames} are the tensor names of that checkpoint (empty when none).
     */
    @FunctionalInterface
    public interface Assembly {
        LoadedModel assemble(ModelConfig config, Set<String> checkpointNames, Generator gen);
    }

    public Architecture {
        allLinearTargets = List.copyOf(allLinearTargets);
    }

    /** A family whose checkpoint names are its field paths. */
    public Architecture(String hfName, Parser parser, Assembly assembly, List<String> allLinearTargets, String templateFallback) {
        this(hfName, parser, assembly, allLinearTargets, templateFallback, CheckpointLayout.IDENTITY);
    }
}
