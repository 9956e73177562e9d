package io.jswift.nn;

import io.jswift.autograd.Variable;
import io.jswift.tensor.Tensor;

import java.util.Map;

/**
 * A linear layer that LoRA / DoRA can wrap (PEFT's base_layer): dense {@link Linear} or a 4-bit quantized one
 * ({@code nn.quant.Linear4bit}). The wrapper computes y = project(x) + bias + adapter(x) and needs nothing else.
 */
public interface LinearBase extends LinearLayer {
    /** x·Wᵀ without the bias: [..., in] → [..., out]. Gradient to x only when W is frozen. */
    Variable project(Variable x);

    /** The bias [out], or null. */
    Parameter bias();

    /**
     * The parameters that make up the frozen layer by their state-dict names under it: {@code weight} and
     * {@code bias}; a 4-bit layer adds its quantization state ({@code weight.absmax}, ...). The wrapper registers
     * these same objects, so state-dict names stay Hugging Face's.
     */
    Map<String, Parameter> baseParameters();

    /** W [out, in] as a dense tensor (dequantized for a 4-bit layer): what merging and DoRA's weight norm use. */
    Tensor denseWeight();
}
