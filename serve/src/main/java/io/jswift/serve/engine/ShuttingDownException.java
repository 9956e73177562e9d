package io.jswift.serve.engine;

/** The engine is draining for shutdown and takes no new requests (the API answers 503). */
public final class ShuttingDownException extends Exception {
    public ShuttingDownException() {
        super("the server is shutting down and takes no new requests");
    }
}
