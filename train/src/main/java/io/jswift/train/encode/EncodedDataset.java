package io.jswift.train.encode;

import io.jswift.train.data.DatasetException;
import io.jswift.train.data.DatasetFile;
import io.jswift.train.data.DatasetSpec;
import io.jswift.train.data.LocatedSample;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The training (or validation) sequences of some dataset files, ready for the {@link Collator}.
 *
 * <p>Building reads every file once to index its well-formed rows (byte range and line), picks the rows
 * ({@code FILE#N}, {@code --split_dataset_ratio}: {@link RowSelection}), then encodes each picked row once to
 * learn its length: rows that cannot be encoded are counted under --skip_bad_rows (else the build fails
 * naming {@code file:line}), rows longer than --max_length are deleted or cut ({@link Truncation}), and rows left
 * with no token to learn are dropped and counted. What is kept of a row is its {@link RowIndex} entry (20 bytes),
 * never its text or ids: {@link #get} reads the row again and encodes it, which costs milliseconds against a
 * training step's far longer forward and backward, and keeps memory independent of the data's size (a 1 GB
 * JSONL needs only its row count times 20 bytes). Storing the ids instead would cost 8 bytes a token (ids and
 * labels) - more than the file itself for short tokens - or a cache file to manage.
 *
 * <p>With --packing the samples are bin-packed into rows of at most max_length tokens ({@link Packer}) and
 * {@link #get} returns packed rows; {@link #sampleCount} still counts samples. Rows are in file order, files
 * in argument order; the trainer shuffles.
 */
public final class EncodedDataset {
    /**
     * @param maxLength         --max_length (tokens per row)
     * @param truncation        --truncation_strategy
     * @param packing           --packing
     * @param skipBadRows       --skip_bad_rows: count and skip rows that cannot be parsed or encoded
     * @param seed              --seed / data seed for FILE#N and the validation split (file k uses seed + k)
     * @param splitDatasetRatio --split_dataset_ratio: share of each training file set aside for validation (0: none)
     * @param vocabSize         the model's vocabulary: every id and label must be below it (0: unchecked)
     */
    public record Options(int maxLength, Truncation.Strategy truncation, boolean packing, boolean skipBadRows, long seed,
                          double splitDatasetRatio, int vocabSize) {
        public Options {
            if (maxLength < 2) throw new IllegalArgumentException("--max_length must be >= 2, got " + maxLength);
            if (!(splitDatasetRatio >= 0 && splitDatasetRatio < 1)) {
                throw new IllegalArgumentException("--split_dataset_ratio must be in [0, 1), got " + splitDatasetRatio);
            }
        }
    }

    /** The training set and the validation set (null when there is none). */
    public record Splits(EncodedDataset train, EncodedDataset validation) {}

    /**
     * What building kept and dropped. samples: sequences kept (before packing); rows: {@link #size()}; tokens:
     * their total length; badRows: malformed or unencodable rows skipped; deletedRows: longer than max_length
     * under truncation delete; truncatedRows: cut under left / right; noTargetRows: dropped for having no label.
     */
    public record Counts(int samples, int rows, long tokens, long badRows, long deletedRows, long truncatedRows, long noTargetRows) {}

    private final Encoder encoder;
    private final Truncation truncation;
    private final List<DatasetFile> files;   // one per source file
    private final int[] fileStarts;          // first index row of each file
    private final RowIndex rows;
    private final int[] binStarts, binMembers; // packed rows: members of row b are binMembers[binStarts[b], binStarts[b+1]); null unpacked
    private final Counts counts;

    private EncodedDataset(Builder b, int[][] bins) {
        this.encoder = b.encoder;
        this.truncation = b.truncation;
        this.files = List.copyOf(b.files);
        this.fileStarts = b.fileStarts.stream().mapToInt(Integer::intValue).toArray();
        this.rows = b.rows;
        rows.trim();
        if (bins == null) {
            binStarts = binMembers = null;
        } else {
            binStarts = new int[bins.length + 1];
            binMembers = new int[rows.size()];
            int at = 0;
            for (int k = 0; k < bins.length; k++) {
                binStarts[k] = at;
                for (int m : bins[k]) binMembers[at++] = m;
            }
            binStarts[bins.length] = at;
        }
        this.counts = new Counts(rows.size(), bins == null ? rows.size() : bins.length, b.tokens, b.bad, b.deleted, b.truncated, b.noTargets);
    }

    /**
     * Builds the training set from {@code train} and the validation set from {@code validation} specs or, when
     * there are none, from --split_dataset_ratio of each training file (giving both is an error).
     */
    public static Splits load(List<DatasetSpec> train, List<DatasetSpec> validation, Encoder encoder, Options options) {
        if (train.isEmpty()) throw new IllegalArgumentException("--dataset is required");
        if (!validation.isEmpty() && options.splitDatasetRatio() > 0) {
            throw new IllegalArgumentException("give --val_dataset or --split_dataset_ratio, not both");
        }
        Builder trainRows = new Builder(encoder, options), validationRows = new Builder(encoder, options);
        for (int k = 0; k < train.size(); k++) {
            DatasetSpec spec = train.get(k);
            Indexed file = index(spec, options);
            RowSelection.Split split = RowSelection.split(file.rows.size(), spec.sampleCount(), options.splitDatasetRatio(),
                    options.seed() + k, spec.file().toString());
            trainRows.bad += file.bad;
            trainRows.add(file, split.train());
            if (split.validation().length > 0) validationRows.add(file, split.validation());
        }
        for (int k = 0; k < validation.size(); k++) {
            DatasetSpec spec = validation.get(k);
            Indexed file = index(spec, options);
            validationRows.bad += file.bad;
            validationRows.add(file, RowSelection.split(file.rows.size(), spec.sampleCount(), 0, options.seed() + train.size() + k,
                    spec.file().toString()).train());
        }
        EncodedDataset t = trainRows.build("training");
        EncodedDataset v = validationRows.files.isEmpty() ? null : validationRows.build("validation");
        return new Splits(t, v);
    }

    /** Number of rows (packed rows with --packing). */
    public int size() { return binStarts == null ? rows.size() : binStarts.length - 1; }

    /** Number of samples (equal to {@link #size()} without packing). */
    public int sampleCount() { return rows.size(); }

    public boolean packed() { return binStarts != null; }

    /** Tokens in row i, without encoding it. */
    public int length(int i) {
        if (binStarts == null) return rows.tokens(i);
        int n = 0;
        for (int k = binStarts[i]; k < binStarts[i + 1]; k++) n += rows.tokens(binMembers[k]);
        return n;
    }

    /** Row i, read from its file and encoded again (a packed row: its samples encoded and packed). */
    public Encoded get(int i) {
        if (i < 0 || i >= size()) throw new IndexOutOfBoundsException("row " + i + " of " + size());
        if (binStarts == null) return sample(i);
        List<Encoded> members = new ArrayList<>(binStarts[i + 1] - binStarts[i]);
        for (int k = binStarts[i]; k < binStarts[i + 1]; k++) members.add(sample(binMembers[k]));
        return Packer.pack(members);
    }

    public Counts counts() { return counts; }

    private Encoded sample(int r) {
        int f = fileOf(r);
        LocatedSample row = files.get(f).readAt(rows.offset(r), rows.byteLength(r), rows.line(r));
        Encoded e = truncation.apply(encoder.encode(row)).orElseThrow(() -> changed(row, -1, rows.tokens(r)));
        if (e.length() != rows.tokens(r)) throw changed(row, e.length(), rows.tokens(r));
        return e;
    }

    private static IllegalStateException changed(LocatedSample row, int now, int then) {
        return new IllegalStateException(row.where() + ": encodes to " + (now < 0 ? "a deleted row" : now + " tokens") + " now but to "
                + then + " when the dataset was indexed (did the file, the tokenizer or the template change during the run?)");
    }

    private int fileOf(int r) {
        int lo = 0, hi = fileStarts.length - 1;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (fileStarts[mid] <= r) lo = mid;
            else hi = mid - 1;
        }
        return lo;
    }

    /** A file's well-formed rows (encoded length not yet known) and how many malformed ones it skipped. */
    private record Indexed(DatasetFile file, RowIndex rows, long bad) {}

    private static Indexed index(DatasetSpec spec, Options options) {
        DatasetFile file = new DatasetFile(spec.file(), options.skipBadRows());
        RowIndex rows = new RowIndex();
        file.forEachRow((row, offset, length) -> rows.add(offset, length, row.line(), 0));
        if (rows.size() == 0) throw new DatasetException(spec.file(), 0, "no usable rows");
        return new Indexed(file, rows, file.skipped());
    }

    /** Encodes picked rows once, keeping what fits and counting what does not. */
    private static final class Builder {
        final Encoder encoder;
        final Truncation truncation;
        final Options options;
        final List<DatasetFile> files = new ArrayList<>();
        final List<Integer> fileStarts = new ArrayList<>();
        final RowIndex rows = new RowIndex();
        long tokens, bad, deleted, truncated, noTargets;

        Builder(Encoder encoder, Options options) {
            this.encoder = encoder;
            this.options = options;
            this.truncation = new Truncation(options.maxLength(), options.truncation());
        }

        void add(Indexed source, int[] picked) {
            files.add(source.file);
            fileStarts.add(rows.size());
            for (int i : picked) {
                LocatedSample row = source.file.readAt(source.rows.offset(i), source.rows.byteLength(i), source.rows.line(i));
                Encoded e = encodeOrSkip(row);
                if (e == null) continue;
                Optional<Encoded> kept;
                try {
                    kept = truncation.apply(e);
                } catch (IllegalArgumentException ex) {
                    throw new DatasetException(row.file(), row.line(), ex.getMessage());
                }
                if (kept.isEmpty()) {
                    deleted++;
                    continue;
                }
                if (kept.get() != e) truncated++;
                if (kept.get().targets() == 0) {
                    noTargets++;
                    continue;
                }
                rows.add(source.rows.offset(i), source.rows.byteLength(i), row.line(), kept.get().length());
                tokens += kept.get().length();
            }
        }

        private Encoded encodeOrSkip(LocatedSample row) {
            try {
                Encoded e = encoder.encode(row);
                checkVocabulary(row, e);
                return e;
            } catch (DatasetException ex) {
                if (!options.skipBadRows()) throw new DatasetException(ex.file(), ex.line(), ex.reason() + " (use --skip_bad_rows to skip such rows)");
                bad++;
                return null;
            }
        }

        private void checkVocabulary(LocatedSample row, Encoded e) {
            int v = options.vocabSize();
            if (v <= 0) return;
            for (int j = 0; j < e.length(); j++) {
                int id = e.inputIds()[j], label = e.labels()[j];
                if (id < 0 || id >= v) throw new DatasetException(row.file(), row.line(), "token id " + id + " is outside the vocabulary [0, " + v + ")");
                if (label != Encoded.IGNORE && (label < 0 || label >= v)) {
                    throw new DatasetException(row.file(), row.line(), "label " + label + " is neither -100 nor in the vocabulary [0, " + v + ")");
                }
            }
        }

        EncodedDataset build(String what) {
            if (rows.size() == 0) {
                throw new IllegalArgumentException("no " + what + " rows left: " + bad + " bad, " + deleted + " longer than --max_length "
                        + options.maxLength() + " (deleted), " + noTargets + " without any token to learn");
            }
            int[][] bins = null;
            if (options.packing()) {
                int[] lengths = new int[rows.size()];
                for (int i = 0; i < lengths.length; i++) lengths[i] = rows.tokens(i);
                bins = Packer.bestFitDecreasing(lengths, options.maxLength());
            }
            return new EncodedDataset(this, bins);
        }
    }
}
