package io.jswift.models.tokenizer;

import java.nio.charset.StandardCharsets;

/** UTF-8 helpers for decoding partial byte sequences. */
final class Utf8 {
    private Utf8() {}

    /**
     * Rust's String::from_utf8_lossy: each maximal invalid subsequence becomes one U+FFFD. The JDK's decoder
     * replaces malformed input the same way (Unicode's "maximal subpart" practice).
     */
    static String lossy(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
