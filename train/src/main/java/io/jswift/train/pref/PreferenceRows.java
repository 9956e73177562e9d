package io.jswift.train.pref;

import io.jswift.train.data.DatasetException;
import io.jswift.train.data.DatasetFile;
import io.jswift.train.data.DatasetSpec;
import io.jswift.train.data.LocatedSample;
import io.jswift.train.encode.Encoded;
import io.jswift.train.encode.EncodedDataset;
import io.jswift.train.encode.RowSelection;

import java.util.ArrayList;
import java.util.List;

/**
 * The row handling {@link PreferenceDataset} and {@link KtoDataset} share: --dataset / --val_dataset files read and
 * split into training and validation rows as {@code sft} selects them ({@code FILE#N}, --split_dataset_ratio), and
 * the vocabulary check of an encoded row.
 */
final class PreferenceRows {
    /** Where the selected rows of one split go. */
    interface Sink {
        void add(LocatedSample row);

        /** Rows the file reader skipped as bad (--skip_bad_rows). */
        void countBad(long rows);
    }

    private PreferenceRows() {}

    /** Reads every file and hands each selected row to {@code trainRows} or {@code validationRows}. */
    static void distribute(List<DatasetSpec> train, List<DatasetSpec> validation, EncodedDataset.Options options, Sink trainRows, Sink validationRows) {
        if (train.isEmpty()) throw new IllegalArgumentException("--dataset is required");
        if (!validation.isEmpty() && options.splitDatasetRatio() > 0) throw new IllegalArgumentException("give --val_dataset or --split_dataset_ratio, not both");
        for (int k = 0; k < train.size(); k++) {
            DatasetSpec spec = train.get(k);
            List<LocatedSample> rows = read(spec, options, trainRows);
            RowSelection.Split split = RowSelection.split(rows.size(), spec.sampleCount(), options.splitDatasetRatio(), options.seed() + k, spec.file().toString());
            for (int i : split.train()) trainRows.add(rows.get(i));
            for (int i : split.validation()) validationRows.add(rows.get(i));
        }
        for (int k = 0; k < validation.size(); k++) {
            DatasetSpec spec = validation.get(k);
            List<LocatedSample> rows = read(spec, options, validationRows);
            for (int i : RowSelection.split(rows.size(), spec.sampleCount(), 0, options.seed() + train.size() + k, spec.file().toString()).train()) {
                validationRows.add(rows.get(i));
            }
        }
    }

    private static List<LocatedSample> read(DatasetSpec spec, EncodedDataset.Options options, Sink counts) {
        DatasetFile file = new DatasetFile(spec.file(), options.skipBadRows());
        List<LocatedSample> rows = new ArrayList<>();
        file.forEach(rows::add);
        counts.countBad(file.skipped());
        if (rows.isEmpty()) throw new DatasetException(spec.file(), 0, "no usable rows");
        return rows;
    }

    /** Fails with the row's {@code file:line} when {@code e} holds a token id outside [0, vocabSize) (vocabSize <= 0: unchecked). */
    static void checkVocabulary(LocatedSample row, Encoded e, int vocabSize) {
        if (vocabSize <= 0) return;
        for (int id : e.inputIds()) {
            if (id < 0 || id >= vocabSize) throw new DatasetException(row.file(), row.line(), "token id " + id + " is outside the vocabulary [0, " + vocabSize + ")");
        }
    }
}
