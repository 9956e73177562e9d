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
        Builder trainRows = new Builder(encoder, options), validationRows = new Builder(encoder, options);
        PreferenceRows.distribute(train, validation, options, trainRows, validationRows);
        KtoDataset v = validationRows.examples.isEmpty() && validationRows.seen == 0 ? null : validationRows.build("validation");
        return new Splits(trainRows.build("training"), v);
    }

    private static final class Builder implements PreferenceRows.Sink {
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

        @Override
        public void countBad(long rows) {
            bad += rows;
        }

        @Override
        public void add(LocatedSample row) {
            seen++;
            List<KtoExample> encoded;
            try {
                encoded = encoder.encode(row);
                for (KtoExample e : encoded) PreferenceRows.checkVocabulary(row, e.sequence(), options.vocabSize());
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
