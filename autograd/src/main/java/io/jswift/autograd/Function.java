package io.jswift.autograd;

import io.jswift.tensor.Tensor;

/**
 * A differentiable operation, shaped like {@code torch.autograd.Function}: {@code forward} computes the
 * output from plain tensors and saves what the backward needs through {@link Context#save}; {@code
 * backward} maps the gradient of the output to one gradient per input (null where
 * {@link Context#needsInputGrad} is false, or for non-differentiable inputs such as indices).
 * Non-tensor arguments (dims, eps, flags) are fields of the implementing class, typically a record.
 */
public interface Function {
    Tensor forward(Context ctx, Tensor... inputs);

    Tensor[] backward(Context ctx, Tensor gradOutput);
}
