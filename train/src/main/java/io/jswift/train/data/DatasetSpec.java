package io.jswift.train.data;

import java.nio.file.Path;

/** A {@code --dataset} argument: {@code FILE} or {@code FILE#N} (take N rows, sampled with the seed). */
public record DatasetSpec(Path file, Integer sampleCount) {
    public static DatasetSpec parse(String arg) {
        int hash = arg.lastIndexOf('#');
        if (hash < 0) return new DatasetSpec(Path.of(arg), null);
        String n = arg.substring(hash + 1);
        try {
            int count = Integer.parseInt(n);
            if (count <= 0) throw new NumberFormatException();
            return new DatasetSpec(Path.of(arg.substring(0, hash)), count);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad --dataset '" + arg + "': after '#' comes a positive row count, e.g. data.jsonl#500");
        }
    }
}
