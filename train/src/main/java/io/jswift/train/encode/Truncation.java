package io.jswift.train.encode;

import java.util.Arrays;
import java.util.Optional;

/**
 * {@code --max_length} with {@code --truncation_strategy} (ms-swift Template._encode_truncated): a longer row
 * is deleted (the default; the dataset counts it), or cut to its last maxLength tokens (left) or its first
 * (right). A cut row's first label becomes -100 as ms-swift's _truncate does (the first token has nothing
 * before it to be predicted from).
 */
public record Truncation(int maxLength, Strategy strategy) {
    public enum Strategy {
        DELETE, LEFT, RIGHT;

        public static Strategy parse(String name) {
            return switch (name) {
                case "delete" -> DELETE;
                case "left" -> LEFT;
                case "right" -> RIGHT;
                default -> throw new IllegalArgumentException("--truncation_strategy must be delete, left or right, got '" + name + "'");
            };
        }
    }

    public Truncation {
        if (maxLength < 2) throw new IllegalArgumentException("--max_length must be >= 2, got " + maxLength);
    }

    public boolean fits(Encoded row) {
        return row.length() <= maxLength;
    }

    /** The row itself when it fits; else empty (delete) or the kept part (left / right). */
    public Optional<Encoded> apply(Encoded row) {
        if (fits(row)) return Optional.of(row);
        if (row.isPacked()) throw new IllegalArgumentException("truncate samples before packing them");
        if (row.images() != null && strategy != Strategy.DELETE) {
            // a cut through or before an image's tokens would leave them out of step with its pixels
            throw new IllegalArgumentException("a row with images is longer than --max_length " + maxLength + " (" + row.length()
                    + " tokens) and cannot be cut: use --truncation_strategy delete or a larger --max_length");
        }
        int from = strategy == Strategy.LEFT ? row.length() - maxLength : 0;
        return switch (strategy) {
            case DELETE -> Optional.empty();
            case LEFT, RIGHT -> {
                int[] labels = Arrays.copyOfRange(row.labels(), from, from + maxLength);
                labels[0] = Encoded.IGNORE;
                yield Optional.of(new Encoded(Arrays.copyOfRange(row.inputIds(), from, from + maxLength), labels));
            }
        };
    }
}
