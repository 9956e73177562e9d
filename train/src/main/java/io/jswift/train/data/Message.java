package io.jswift.train.data;

/** One chat turn in OpenAI roles: system, user, assistant, tool. */
public record Message(String role, String content) {
    public Message {
        if (role == null || content == null) throw new IllegalArgumentException("message role and content must not be null");
    }
}
