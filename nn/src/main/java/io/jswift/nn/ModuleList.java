package io.jswift.nn;

import java.util.ArrayList;
import java.util.List;

/** Children named 0, 1, 2, ... (torch.nn.ModuleList), so paths read {@code layers.3.mlp...}. */
public final class ModuleList<M extends Module> extends Module {
    private final List<M> items = new ArrayList<>();

    public ModuleList(List<M> modules) {
        for (M m : modules) {
            registerModule(Integer.toString(items.size()), m);
            items.add(m);
        }
    }

    public M get(int i) { return items.get(i); }

    public int size() { return items.size(); }

    public List<M> asList() { return List.copyOf(items); }
}
