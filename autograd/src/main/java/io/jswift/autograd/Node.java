package io.jswift.autograd;

/**
 * One recorded call of a {@link Function}: its context and the graph edges to what it consumed. An edge names
 * the producing node of a computed input, or the leaf variable itself, never a computed variable: the graph
 * must not keep intermediate values alive (as PyTorch's autograd edges point at grad_fn, not at tensors).
 * Holding the input variables kept every forward temporary of a LoRA step reachable until backward.
 */
final class Node {
    final Function function;
    final Context context;
    final Edge[] edges; // null where the input was absent or took no gradient

    /** A computed input (its producer {@code node}) or a leaf variable, with the input's shape for checks. */
    record Edge(Node node, Variable leaf, int[] shape) {}

    Node(Function function, Context context, Variable[] inputs, boolean[] needsGrad) {
        this.function = function;
        this.context = context;
        this.edges = new Edge[inputs.length];
        for (int i = 0; i < inputs.length; i++) {
            Variable in = inputs[i];
            if (in == null || !needsGrad[i]) continue;
            edges[i] = in.isLeaf() ? new Edge(null, in, in.shape()) : new Edge(in.gradFn(), null, in.shape());
        }
        context.attach(edges);
    }
}
