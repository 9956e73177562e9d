package io.jswift.models.config;

import java.util.Arrays;

/** The `architectures` names jswift runs; model variants are deltas of two families. */
public enum Architecture {
    LLAMA_FOR_CAUSAL_LM("LlamaForCausalLM", Family.DECODER),
    QWEN2_FOR_CAUSAL_LM("Qwen2ForCausalLM", Family.DECODER),
    QWEN3_FOR_CAUSAL_LM("Qwen3ForCausalLM", Family.DECODER),
    VIT_MODEL("ViTModel", Family.VIT),
    VIT_FOR_IMAGE_CLASSIFICATION("ViTForImageClassification", Family.VIT);

    public enum Family { DECODER, VIT }

    private final String hfName;
    private final Family family;

    Architecture(String hfName, Family family) {
        this.hfName = hfName;
        this.family = family;
    }

    public String hfName() { return hfName; }

    public Family family() { return family; }

    public static Architecture fromHf(String name, java.nio.file.Path file) {
        for (Architecture a : values()) if (a.hfName.equals(name)) return a;
        throw new IllegalArgumentException(file + ": unsupported architecture '" + name + "' (supported: "
                + String.join(", ", Arrays.stream(values()).map(Architecture::hfName).toList()) + ")");
    }
}
