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
    Tensor[] NO_TENSORS = new Tensor[0];

    Tensor forward(Context ctx, Tensor... inputs);

    Tensor[] backward(Context ctx, Tensor gradOutput);

    /**
     * Tensors the function holds besides its inputs (indices, rope tables, attention segments, targets): they
     * take no gradient but must live on the inputs' device, which {@link Autograd#apply} checks. Null entries allowed.
     */
    default Tensor[] constants() { return NO_TENSORS; }

    /** The op's name in error messages: the class name in lower camel case (Matmul: matmul, RmsNorm: rmsNorm). */
    default String name() {
        String s = getClass().getSimpleName();
        return s.isEmpty() ? "function" : Character.toLowerCase(s.charAt(0)) + s.substring(1);
    }
}
