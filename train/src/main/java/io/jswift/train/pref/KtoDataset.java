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
 * The encoded KTO examples of some dataset files, in memory, with the row selection and truncation of
 * {@link PreferenceDataset} (each sequence cut by --max_length / --truncation_strategy; an example left without a
 * completion token is dropped); counts its desirable and undesirable examples (TRL warns when their weighted
 * balance is off). Bad rows fail with {@code file:line} or are counted under --skip_bad_rows.
 */
public record KtoDataset(List<KtoExample> examples, EncodedDataset.Counts counts, long desirable) {
    public record Splits(KtoDataset train, KtoDataset validation) {}

    public KtoDataset {
        examples = List.copyOf(examples);
    }

    public ExampleSource<KtoExample> source() {
        return ExampleSource.of(examples);
    }

    public long undesirable() { return examples.size() - desirable; }

    public static Splits load(List<DatasetSpec> train, List<DatasetSpec> validation, KtoEncoder encoder, EncodedDataset.Options options) {
        if (train.isEmpty()) throw new IllegalArgumentException("--dataset is required");
        if (!validation.isEmpty() && options.splitDatasetRatio() > 0) throw new IllegalArgumentException("give --val_dataset or --split_dataset_ratio, not both");
        Builder trainRows = new Builder(encoder, options), validationRows = new Builder(encoder, options);
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
        KtoDataset v = validationRows.examples.isEmpty() && validationRows.seen == 0 ? null : validationRows.build("validation");
        return new Splits(trainRows.build("training"), v);
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
        final KtoEncoder encoder;
        final EncodedDataset.Options options;
        final Truncation truncation;
        final List<KtoExample> examples = new ArrayList<>();
        long tokens, bad, deleted, truncated, noTargets, seen, desirable;

        Builder(KtoEncoder encoder, EncodedDataset.Options options) {
            this.encoder = encoder;
            this.options = options;
            this.truncation = new Truncation(options.maxLength(), options.truncation());
        }

        void add(LocatedSample row) {
            seen++;
            List<KtoExample> encoded;
            try {
                encoded = encoder.encode(row);
                for (KtoExample e : encoded) checkVocabulary(row, e.sequence());
            } catch (DatasetException e) {
                if (!options.skipBadRows()) throw new DatasetException(e.file(), e.line(), e.reason() + " (use --skip_bad_rows to skip such rows)");
                bad++;
                return;
            }
            for (KtoExample e : encoded) {
                Optional<Encoded> cut = truncation.apply(e.sequence());
                if (cut.isEmpty()) {
                    deleted++;
                    continue;
                }
                if (cut.get() != e.sequence()) truncated++;
                if (cut.get().targets() == 0) {
                    noTargets++;
                    continue;
                }
                KtoExample kept = KtoExample.of(cut.get(), e.desirable());
                examples.add(kept);
                tokens += kept.tokens();
                if (kept.desirable()) desirable++;
            }
        }

        private void checkVocabulary(LocatedSample row, Encoded e) {
            int v = options.vocabSize();
            if (v <= 0) return;
            for (int id : e.inputIds()) {
                if (id < 0 || id >= v) throw new DatasetException(row.file(), row.line(), "token id " + id + " is outside the vocabulary [0, " + v + ")");
            }
        }

        KtoDataset build(String what) {
            if (examples.isEmpty()) {
                throw new IllegalArgumentException("no " + what + " examples left: " + bad + " bad, " + deleted + " longer than --max_length "
                        + options.maxLength() + " (deleted), " + noTargets + " without a completion token left");
            }
            return new KtoDataset(examples, new EncodedDataset.Counts(examples.size(), examples.size(), tokens, bad, deleted, truncated, noTargets),
                    desirable);
        }
    }
}
