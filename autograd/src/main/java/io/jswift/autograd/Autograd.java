package io.jswift.autograd;

import io.jswift.tensor.Backends;
import io.jswift.tensor.Device;
import io.jswift.tensor.MetaStorage;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.BinaryOp;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/** Records {@link Function} calls and runs reverse-mode differentiation over them. */
public final class Autograd {
    private Autograd() {}

    /**
     * Runs {@code function} on the values of {@code inputs} (null entries allowed for optional inputs) and,
     * when grad mode is on and any input requires grad, records the call so backward reaches the inputs.
     */
    public static Variable apply(Function function, Variable... inputs) {
        Tensor[] values = new Tensor[inputs.length];
        boolean[] needs = new boolean[inputs.length];
        boolean record = false;
        boolean enabled = GradMode.isEnabled();
        Device device = null;
        for (int i = 0; i < inputs.length; i++) {
            if (inputs[i] == null) continue;
            values[i] = inputs[i].value();
            device = sameDevice(function, device, values[i]);
            needs[i] = enabled && inputs[i].requiresGrad();
            record |= needs[i];
        }
        for (Tensor c : function.constants()) if (c != null) device = sameDevice(function, device, c);
        Context ctx = new Context(values, needs);
        Tensor out = function.forward(ctx, values);
        if (!record) return Variable.constant(out);
        return new Variable(out, true, new Node(function, ctx, inputs, needs));
    }

    /**
     * The device the call runs on after seeing {@code t}: fails when {@code t} lives elsewhere than the tensors
     * before it (PyTorch: "Expected all tensors to be on the same device"). Identity first: tensors of a device
     * usually share its Device instance, so the common case costs one comparison. A meta (weightless) tensor
     * fails with the meta device's own message, which says to load the weights.
     */
    private static Device sameDevice(Function function, Device device, Tensor t) {
        Device d = t.device();
        if (d == device) return device;
        if (d.equals(MetaStorage.DEVICE)) Backends.forDevice(d); // throws: "tensor has no data (meta device): load the model's weights ..."
        if (device == null || d.equals(device)) return device == null ? d : device;
        throw new IllegalArgumentException(function.name() + ": inputs on different devices: " + device + " and " + d
                + "; move them with .to(device)");
    }

    static void backward(Variable root, Tensor gradient, boolean retainGraph) {
        if (!root.requiresGrad()) {
            throw new IllegalStateException("backward on a variable that does not require grad: no input of the "
                    + "computation requires grad, or it ran under GradMode.noGrad()");
        }
        checkShape(gradient, root.value(), "the gradient passed to backward");
        if (root.isLeaf()) {
            root.accumulate(gradient, false);
            return;
        }
        Map<Node, Tensor> pending = new IdentityHashMap<>();
        pending.put(root.gradFn(), gradient);
        GradientRecycler recycler = new GradientRecycler();
        try (var scope = GradMode.noGrad()) {
            for (Node node : reverseTopologicalOrder(root.gradFn())) {
                Tensor g = pending.remove(node);
                if (g == null) continue;
                node.context.beginBackward(retainGraph);
                Tensor[] grads = node.function.backward(node.context, g);
                if (grads.length != node.edges.length) {
                    throw new IllegalStateException(name(node) + ".backward returned " + grads.length
                            + " gradients for " + node.edges.length + " inputs");
                }
                boolean[] exclusive = recycler.exclusive(grads, node.context);
                if (!retainGraph) node.context.release();
                for (int i = 0; i < grads.length; i++) {
                    Node.Edge edge = node.edges[i];
                    if (edge == null || grads[i] == null) continue;
                    checkShape(grads[i], edge.shape(), name(node) + " gradient for input " + i);
                    Variable in = edge.leaf();
                    if (in != null) {
                        if (in.grad() == null) {
                            recycler.escape(grads[i]);           // becomes the leaf's .grad
                            in.accumulate(grads[i], exclusive[i]);
                        } else {
                            if (in.accumulate(grads[i], exclusive[i])) recycler.escape(in.grad()); // a new sum
                            recycler.consumed(grads[i]);
                        }
                    } else {
                        Tensor before = pending.get(edge.node());
                        if (before == null) {
                            pending.put(edge.node(), grads[i]);
                            recycler.hold(grads[i]);
                        } else {
                            Tensor sum = before.backend().binary(BinaryOp.ADD, before, grads[i]);
                            pending.put(edge.node(), sum);
                            recycler.hold(sum);
                            recycler.drop(before);
                            recycler.consumed(grads[i]);
                        }
                    }
                }
                recycler.drop(g);
            }
        }
    }

    /** Nodes ordered so that each comes before every node it consumes (outputs first). */
    private static List<Node> reverseTopologicalOrder(Node root) {
        List<Node> postOrder = new ArrayList<>();
        Map<Node, Boolean> visited = new IdentityHashMap<>();
        // Iterative DFS (graphs of deep models overflow the Java stack with recursion).
        ArrayDeque<Object[]> stack = new ArrayDeque<>();
        stack.push(new Object[]{root, 0});
        visited.put(root, Boolean.TRUE);
        while (!stack.isEmpty()) {
            Object[] frame = stack.peek();
            Node node = (Node) frame[0];
            int next = (Integer) frame[1];
            if (next < node.edges.length) {
                frame[1] = next + 1;
                Node.Edge edge = node.edges[next];
                if (edge != null && edge.node() != null && !visited.containsKey(edge.node())) {
                    visited.put(edge.node(), Boolean.TRUE);
                    stack.push(new Object[]{edge.node(), 0});
                }
            } else {
                stack.pop();
                postOrder.add(node);
            }
        }
        Collections.reverse(postOrder);
        return postOrder;
    }

    private static void checkShape(Tensor grad, Tensor value, String what) {
        checkShape(grad, value.shape(), what);
    }

    private static void checkShape(Tensor grad, int[] shape, String what) {
        if (!Arrays.equals(grad.shape(), shape)) {
            throw new IllegalStateException(what + " has shape " + Arrays.toString(grad.shape())
                    + " but the value has shape " + Arrays.toString(shape));
        }
    }

    private static String name(Node node) {
        return node.function.getClass().getSimpleName();
    }
}
