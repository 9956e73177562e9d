package io.jswift.train.encode;

import io.jswift.train.data.DatasetException;
import io.jswift.train.data.LocatedSample;
import io.jswift.train.data.Sample;

import java.nio.file.Path;

/**
 * For a model directory without tokenizer.json (e.g. a random-weight benchmark model): pre-tokenized rows train
 * as they are; any row that needs text to be tokenized fails naming the row and what is missing.
 */
public final class TokenizedOnlyEncoder implements Encoder {
    private final Path modelDir;

    public TokenizedOnlyEncoder(Path modelDir) {
        this.modelDir = modelDir;
    }

    @Override
    public Encoded encode(LocatedSample row) {
        if (row.sample() instanceof Sample.Tokenized t) return TokenizedRows.encode(t);
        throw new DatasetException(row.file(), row.line(), "this row needs the model's tokenizer.json and chat template, which "
                + modelDir + " does not have; give pre-tokenized rows {\"input_ids\": [...], \"labels\": [...]}");
    }
}
