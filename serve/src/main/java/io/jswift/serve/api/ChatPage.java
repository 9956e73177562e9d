package io.jswift.serve.api;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/** The chat page served at / (resources/io/jswift/serve/chat.html): plain HTML + JavaScript over the public API. */
final class ChatPage {
    static final byte[] HTML = load();

    private ChatPage() {}

    private static byte[] load() {
        try (InputStream in = ChatPage.class.getResourceAsStream("/io/jswift/serve/chat.html")) {
            if (in == null) throw new IllegalStateException("chat.html is missing from the jswift-serve jar");
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read chat.html from the jswift-serve jar", e);
        }
    }
}
