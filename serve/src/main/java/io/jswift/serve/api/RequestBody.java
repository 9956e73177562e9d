package io.jswift.serve.api;

import org.eclipse.jetty.server.Request;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * Reads a request body up to a limit. A larger body is still read to its end and thrown away (up to
 * {@link #DISCARD_LIMIT}) before the 413 goes out: a keep-alive client that is still sending would otherwise see
 * its connection reset instead of the answer.
 */
final class RequestBody {
    static final long DISCARD_LIMIT = 256L << 20;

    /** The body of a request, or {@link TooLarge} once it passed {@code limit} bytes. */
    sealed interface Result permits Body, TooLarge {}

    record Body(byte[] bytes) implements Result {}

    /** read: bytes seen; drained: whether the whole body was consumed (else the connection must close). */
    record TooLarge(long read, boolean drained) implements Result {}

    private RequestBody() {}

    static Result read(Request request, int limit) throws IOException {
        long declared = request.getLength();
        ByteArrayOutputStream out = new ByteArrayOutputStream(declared > 0 && declared <= limit ? (int) declared : 8192);
        byte[] buf = new byte[64 * 1024];
        long total = 0;
        try (InputStream in = Request.asInputStream(request)) {
            int n;
            while ((n = in.read(buf)) >= 0) {
                total += n;
                if (total <= limit) out.write(buf, 0, n);
                else if (total > DISCARD_LIMIT) return new TooLarge(total, false);
            }
        }
        return total > limit ? new TooLarge(total, true) : new Body(out.toByteArray());
    }
}
