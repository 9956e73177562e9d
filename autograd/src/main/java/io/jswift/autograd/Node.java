package io.jswift.autograd;

/** One recorded call of a {@link Function}: its context and the variables it consumed (the graph edges). */
final class Node {
    final Function function;
    final Context context;
    final Variable[] inputs;

    Node(Function function, Context context, Variable[] inputs) {
        this.function = function;
        this.context = context;
        this.inputs = inputs;
    }
}
