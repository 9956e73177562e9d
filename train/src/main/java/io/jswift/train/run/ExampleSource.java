package io.jswift.train.run;

import io.jswift.train.encode.Encoded;
import io.jswift.train.encode.EncodedDataset;

import java.util.List;

/** Random access to the encoded training (or evaluation) examples of a run. */
public interface ExampleSource<E> {
    int size();

    E get(int index);

    static <E> ExampleSource<E> of(List<E> rows) {
        List<E> copy = List.copyOf(rows);
        return new ExampleSource<>() {
            @Override public int size() { return copy.size(); }
            @Override public E get(int index) { return copy.get(index); }
        };
    }

    /** Rows read and encoded on demand from their files (null stays null: no evaluation set). */
    static ExampleSource<Encoded> of(EncodedDataset dataset) {
        if (dataset == null) return null;
        return new ExampleSource<>() {
            @Override public int size() { return dataset.size(); }
            @Override public Encoded get(int index) { return dataset.get(index); }
        };
    }
}
