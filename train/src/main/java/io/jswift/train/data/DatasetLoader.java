package io.jswift.train.data;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Reads every {@code --dataset} into one list of samples: files are streamed; {@code FILE#N} keeps N rows
 * chosen by seeded reservoir sampling (memory O(N), file order kept), or repeats the file when N exceeds
 * its rows (ms-swift's oversampling). Only the selected rows are held in memory.
 */
public final class DatasetLoader {
    private final boolean skipBadRows;
    private final long seed;
    private long skipped;

    public DatasetLoader(boolean skipBadRows, long seed) {
        this.skipBadRows = skipBadRows;
        this.seed = seed;
    }

    /** Malformed rows skipped so far (only with skipBadRows). */
    public long skipped() { return skipped; }

    public List<LocatedSample> load(List<DatasetSpec> specs) {
        List<LocatedSample> all = new ArrayList<>();
        for (int i = 0; i < specs.size(); i++) all.addAll(load(specs.get(i), seed + i));
        return all;
    }

    private List<LocatedSample> load(DatasetSpec spec, long fileSeed) {
        DatasetFile f = new DatasetFile(spec.file(), skipBadRows);
        List<LocatedSample> rows = new ArrayList<>();
        if (spec.sampleCount() == null) {
            f.forEach(rows::add);
        } else {
            int n = spec.sampleCount();
            Random rng = new Random(fileSeed);
            long[] seen = {0};
            List<Long> order = new ArrayList<>();
            f.forEach(s -> {
                long i = seen[0]++;
                if (i < n) {
                    rows.add(s);
                    order.add(i);
                } else {
                    long j = (long) (rng.nextDouble() * (i + 1));
                    if (j < n) {
                        rows.set((int) j, s);
                        order.set((int) j, i);
                    }
                }
            });
            if (seen[0] < n && !rows.isEmpty()) {
                int base = rows.size();
                for (int k = base; k < n; k++) rows.add(rows.get(rng.nextInt(base)));
            } else {
                // keep file order among the kept rows
                Integer[] idx = new Integer[rows.size()];
                for (int k = 0; k < idx.length; k++) idx[k] = k;
                java.util.Arrays.sort(idx, (a, b) -> Long.compare(order.get(a), order.get(b)));
                List<LocatedSample> sorted = new ArrayList<>();
                for (int k : idx) sorted.add(rows.get(k));
                rows.clear();
                rows.addAll(sorted);
            }
        }
        skipped += f.skipped();
        if (rows.isEmpty()) throw new DatasetException(spec.file(), 0, "no usable rows");
        return rows;
    }
}
