package io.jswift.train.pref;

import io.jswift.train.data.DatasetException;
import io.jswift.train.data.DatasetSpec;
import io.jswift.train.data.LocatedSample;
import io.jswift.train.encode.Encoded;
import io.jswift.train.encode.EncodedDataset;
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
        Builder trainPairs = new Builder(encoder, options), validationPairs = new Builder(encoder, options);
        PreferenceRows.distribute(train, validation, options, trainPairs, validationPairs);
        PreferenceDataset v = validationPairs.pairs.isEmpty() && validationPairs.seen == 0 ? null : validationPairs.build("validation");
        return new Splits(trainPairs.build("training"), v);
    }

    private static final class Builder implements PreferenceRows.Sink {
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

        @Override
        public void countBad(long rows) {
            bad += rows;
        }

        @Override
        public void add(LocatedSample row) {
            seen++;
            PreferencePair pair;
            try {
                pair = encoder.encode(row);
                PreferenceRows.checkVocabulary(row, pair.chosen(), options.vocabSize());
                PreferenceRows.checkVocabulary(row, pair.rejected(), options.vocabSize());
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

        PreferenceDataset build(String what) {
            if (pairs.isEmpty()) {
                throw new IllegalArgumentException("no " + what + " pairs left: " + bad + " bad, " + deleted + " longer than --max_length "
                        + options.maxLength() + " (deleted), " + noTargets + " without a completion token left");
            }
            return new PreferenceDataset(pairs, new EncodedDataset.Counts(pairs.size(), pairs.size(), tokens, bad, deleted, truncated, noTargets));
        }
    }
}
