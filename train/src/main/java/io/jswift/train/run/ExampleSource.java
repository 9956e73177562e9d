package io.jswift.train.run;

/** Random access to the encoded training (or evaluation) sequences of a run. */
public interface ExampleSource {
    int size();

    Batch.Example get(int index);

    static ExampleSource of(java.util.List<Batch.Example> examples) {
        java.util.List<Batch.Example> copy = java.util.List.copyOf(examples);
        return new ExampleSource() {
            @Override public int size() { return copy.size(); }
            @Override public Batch.Example get(int index) { return copy.get(index); }
        };
    }
}
