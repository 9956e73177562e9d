package io.jswift.nn.lora;

import io.jswift.nn.LinearBase;
import io.jswift.nn.Module;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Several named adapters on one frozen model, served together (multi-LoRA batches): every linear layer that any
 * adapter targets becomes a {@link MultiLoraLinear} holding each adapter's factors for it, and {@link #route} says,
 * for one forward, which adapter each batch row uses. Adapters are numbered in the order given (their index), -1 is
 * the base model. A model holds at most one such set, and no {@link LoraLinear} at the same time.
 *
 * <pre>{@code try (var r = adapters.route(new int[]{-1, 0, 0, 2})) { logits = model.forward(batch); }}</pre>
 */
public final class MultiLora {
    private final List<String> names;
    private final LoraRouting routing;

    private MultiLora(List<String> names, LoraRouting routing) {
        this.names = names;
        this.routing = routing;
    }

    /**
     * Puts {@code adapters} (name → the adapter's weights by dotted layer path, e.g. from {@link LoraWeights#of} of an
     * adapter loaded on its own and unloaded again) on {@code model} in place. Every path must name a linear layer.
     */
    public static MultiLora install(Module model, Map<String, Map<String, LoraWeights>> adapters) {
        if (adapters.isEmpty()) throw new IllegalArgumentException("no adapters to serve");
        Map<String, Module> modules = model.namedModules();
        for (var m : modules.entrySet()) {
            if (m.getValue() instanceof LoraLinear || m.getValue() instanceof MultiLoraLinear) {
                throw new IllegalStateException("the model already has adapters (on " + m.getKey() + "): install serving adapters on the base model");
            }
        }
        List<String> names = List.copyOf(adapters.keySet());
        Set<String> paths = new LinkedHashSet<>();
        for (var a : adapters.entrySet()) {
            for (String path : a.getValue().keySet()) {
                if (!(modules.get(path) instanceof LinearBase)) {
                    throw new IllegalArgumentException("adapter '" + a.getKey() + "' has weights for '" + path + "', which is not a linear layer of the model");
                }
                paths.add(path);
            }
        }
        LoraRouting routing = new LoraRouting();
        for (String path : paths) {
            LoraWeights[] perAdapter = new LoraWeights[names.size()];
            for (int i = 0; i < names.size(); i++) perAdapter[i] = adapters.get(names.get(i)).get(path);
            int dot = path.lastIndexOf('.');
            Module parent = dot < 0 ? model : modules.get(path.substring(0, dot));
            parent.replaceModule(path.substring(dot + 1), new MultiLoraLinear((LinearBase) modules.get(path), routing, perAdapter));
        }
        model.requiresGrad(false);
        return new MultiLora(names, routing);
    }

    /** The adapters' names; the position of a name is its index. */
    public List<String> names() { return names; }

    /** The index of adapter {@code name}, or -1 when there is none by that name. */
    public int index(String name) { return names.indexOf(name); }

    /**
     * Routes the next forwards (until closed): row r of dim 0 uses adapter {@code rowAdapters[r]} (-1: none). Rows of
     * one adapter should be adjacent (each run is one pair of GEMMs). One routing at a time.
     */
    public Route route(int[] rowAdapters) {
        routing.set(rowAdapters, names.size());
        return new Route(routing);
    }

    /** The scope of one routing. */
    public static final class Route implements AutoCloseable {
        private final LoraRouting routing;

        private Route(LoraRouting routing) { this.routing = routing; }

        @Override
        public void close() { routing.clear(); }
    }
}
