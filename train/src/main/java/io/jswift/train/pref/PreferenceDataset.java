package io.jswift.train.pref;

import io.jswift.train.data.DatasetException;
import io.jswift.train.data.DatasetFile;
import io.jswift.train.data.DatasetSpec;
import io.jswift.train.data.LocatedSample;
import io.jswift.train.encode.Encoded;
import io.jswift.train.encode.EncodedDataset;
import io.jswift.train.encode.RowSelection;
import io.jswift.train.encode.Truncation;
import io.jswift.train.run.ExampleSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The encoded preference pairs of some dataset files, held in memory (preference sets are thousands of rows, not
 * the billions of tokens of pretraining). Row selection ({@code FILE#N}, {@code --split_dataset_ratio}) is the one
 * {@code sft} uses; each of the two sequences of a pair is truncated on its own by {@code --max_length} /
 * {@code --truncation_strategy} (ms-swift encodes chosen and rejected separately; TRL's collator cuts each
 * sequence too): delete drops the pair, left / right cut the sequence, and a pair left without a completion token
 * in either sequence is dropped. Bad rows fail with {@code file:line} or are counted under --skip_bad_rows.
 */
public record PreferenceDataset(List<PreferencePair> pairs, EncodedDataset.Counts counts) {
    public record Splits(PreferenceDataset train, PreferenceDataset validation) {}

    public PreferenceDataset {
        pairs = List.copyOf(pairs);
    }

    public ExampleSource<PreferencePair> source() {
        return ExampleSource.of(pairs);
    }

    public static Splits load(List<DatasetSpec> train, List<DatasetSpec> validation, PreferenceEncoder encoder, EncodedDataset.Options options) {
        if (train.isEmpty()) throw new IllegalArgumentException("--dataset is required");
        if (!validation.isEmpty() && options.splitDatasetRatio() > 0) throw new IllegalArgumentException("give --val_dataset or --split_dataset_ratio, not both");
        Builder trainPairs = new Builder(encoder, options), validationPairs = new Builder(encoder, options);
        for (int k = 0; k < train.size(); k++) {
            DatasetSpec spec = train.get(k);
            List<LocatedSample> rows = read(spec, options, trainPairs);
            RowSelection.Split split = RowSelection.split(rows.size(), spec.sampleCount(), options.splitDatasetRatio(), options.seed() + k, spec.file().toString());
            for (int i : split.train()) trainPairs.add(rows.get(i));
            for (int i : split.validation()) validationPairs.add(rows.get(i));
        }
        for (int k = 0; k < validation.size(); k++) {
            DatasetSpec spec = validation.get(k);
            List<LocatedSample> rows = read(spec, options, validationPairs);
            for (int i : RowSelection.split(rows.size(), spec.sampleCount(), 0, options.seed() + train.size() + k, spec.file().toString()).train()) {
                validationPairs.add(rows.get(i));
            }
        }
        PreferenceDataset v = validationPairs.pairs.isEmpty() && validationPairs.seen == 0 ? null : validationPairs.build("validation");
        return new Splits(trainPairs.build("training"), v);
    }

    private static List<LocatedSample> read(DatasetSpec spec, EncodedDataset.Options options, Builder counts) {
        DatasetFile file = new DatasetFile(spec.file(), options.skipBadRows());
        List<LocatedSample> rows = new ArrayList<>();
        file.forEach(rows::add);
        counts.bad += file.skipped();
        if (rows.isEmpty()) throw new DatasetException(spec.file(), 0, "no usable rows");
        return rows;
    }

    private static final class Builder {
        final PreferenceEncoder encoder;
        final EncodedDataset.Options options;
        final Truncation truncation;
        final List<PreferencePair> pairs = new ArrayList<>();
        long tokens, bad, deleted, truncated, noTargets, seen;

        Builder(PreferenceEncoder encoder, EncodedDataset.Options options) {
            this.encoder = encoder;
            this.options = options;
            this.truncation = new Truncation(options.maxLength(), options.truncation());
        }

        void add(LocatedSample row) {
            seen++;
            PreferencePair pair;
            try {
                pair = encoder.encode(row);
                checkVocabulary(row, pair.chosen());
                checkVocabulary(row, pair.rejected());
            } catch (DatasetException e) {
                if (!options.skipBadRows()) throw new DatasetException(e.file(), e.line(), e.reason() + " (use --skip_bad_rows to skip such rows)");
                bad++;
                return;
            }
            Optional<Encoded> chosen = truncation.apply(pair.chosen()), rejected = truncation.apply(pair.rejected());
            if (chosen.isEmpty() || rejected.isEmpty()) {
                deleted++;
                return;
            }
            if (chosen.get() != pair.chosen() || rejected.get() != pair.rejected()) truncated++;
            if (chosen.get().targets() == 0 || rejected.get().targets() == 0) {
                noTargets++;
                return;
            }
            PreferencePair kept = new PreferencePair(chosen.get(), rejected.get());
            pairs.add(kept);
            tokens += kept.tokens();
        }

        private void checkVocabulary(LocatedSample row, Encoded e) {
            int v = options.vocabSize();
            if (v <= 0) return;
            for (int id : e.inputIds()) {
                if (id < 0 || id >= v) throw new DatasetException(row.file(), row.line(), "token id " + id + " is outside the vocabulary [0, " + v + ")");
            }
        }

        PreferenceDataset build(String what) {
            if (pairs.isEmpty()) {
                throw new IllegalArgumentException("no " + what + " pairs left: " + bad + " bad, " + deleted + " longer than --max_length "
                        + options.maxLength() + " (deleted), " + noTargets + " without a completion token left");
            }
            return new PreferenceDataset(pairs, new EncodedDataset.Counts(pairs.size(), pairs.size(), tokens, bad, deleted, truncated, noTargets));
        }
    }
}
