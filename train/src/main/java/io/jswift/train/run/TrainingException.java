package io.jswift.train.run;

/** A run that cannot go on (diverged loss, unusable data); the message says where and why. */
public final class TrainingException extends RuntimeException {
    public TrainingException(String message) {
        super(message);
    }
}
