package io.jswift.serve.engine;

/** The waiting queue cannot take the request's sequences (the API answers 429). */
public final class QueueFullException extends Exception {
    public QueueFullException(String message) {
        super(message);
    }
}
