package io.jswift.serve.api;

import io.jswift.models.generate.TextGenerator.FinishReason;
import io.jswift.models.generate.TokenLogprobs;
import io.jswift.models.tokenizer.Tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The JSON shapes of the two endpoints (OpenAI's API reference): chat.completion / chat.completion.chunk with
 * message / delta and logprobs.content, or text_completion with text and the legacy logprobs arrays.
 */
enum ResponseFormat {
    CHAT("chatcmpl-", "chat.completion", "chat.completion.chunk"),
    COMPLETION("cmpl-", "text_completion", "text_completion");

    final String idPrefix, object, chunkObject;

    ResponseFormat(String idPrefix, String object, String chunkObject) {
        this.idPrefix = idPrefix;
        this.object = object;
        this.chunkObject = chunkObject;
    }

    /** OpenAI's finish_reason: eos and stop strings are "stop", the token budget "length"; a reply with tool calls "tool_calls". */
    static String finishReason(FinishReason r, List<ToolCalls.Call> calls) {
        if (r == null) return null;
        if (!calls.isEmpty()) return "tool_calls";
        return r == FinishReason.LENGTH ? "length" : "stop";
    }

    /** One choice of a whole (non-streamed) answer; chat: with its tool calls when there are any. */
    Map<String, Object> choice(int index, String text, List<ToolCalls.Call> calls, String finishReason, List<TokenLogprobs> logprobs, Tokenizer tok) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("index", index);
        if (this == CHAT) {
            Map<String, Object> message = new LinkedHashMap<>();
            message.put("role", "assistant");
            message.put("content", text);
            message.put("refusal", null);
            if (!calls.isEmpty()) message.put("tool_calls", calls.stream().map(ToolCalls.Call::json).toList());
            c.put("message", message);
        } else c.put("text", text);
        c.put("logprobs", logprobs == null ? null : logprobs(logprobs, tok));
        c.put("finish_reason", finishReason);
        return c;
    }

    /**
     * One choice of a streamed chunk: the text piece (chat: a delta, the first one carrying the role; tool calls as
     * delta.tool_calls entries with their index, each whole in one chunk).
     */
    Map<String, Object> chunkChoice(int index, String role, String text, List<ToolCalls.Call> calls, String finishReason,
                                    List<TokenLogprobs> logprobs, Tokenizer tok) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("index", index);
        if (this == CHAT) {
            Map<String, Object> delta = new LinkedHashMap<>();
            if (role != null) delta.put("role", role);
            if (text != null) delta.put("content", text);
            if (!calls.isEmpty()) {
                List<Object> entries = new ArrayList<>();
                for (int k = 0; k < calls.size(); k++) {
                    Map<String, Object> e = new LinkedHashMap<>();
                    e.put("index", k);
                    e.putAll(calls.get(k).json());
                    entries.add(e);
                }
                delta.put("tool_calls", entries);
            }
            c.put("delta", delta);
        } else c.put("text", text == null ? "" : text);
        c.put("logprobs", logprobs == null ? null : logprobs(logprobs, tok));
        c.put("finish_reason", finishReason);
        return c;
    }

    private Object logprobs(List<TokenLogprobs> steps, Tokenizer tok) {
        if (this == CHAT) {
            List<Object> content = new ArrayList<>();
            for (TokenLogprobs s : steps) {
                Map<String, Object> entry = tokenEntry(s.token(), s.logprob(), tok);
                List<Object> top = new ArrayList<>();
                for (int i = 0; i < s.topIds().length; i++) top.add(tokenEntry(s.topIds()[i], s.topLogprobs()[i], tok));
                entry.put("top_logprobs", top);
                content.add(entry);
            }
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("content", content);
            out.put("refusal", null);
            return out;
        }
        List<Object> tokens = new ArrayList<>(), tokenLogprobs = new ArrayList<>(), top = new ArrayList<>(), offsets = new ArrayList<>();
        int offset = 0;
        for (TokenLogprobs s : steps) {
            String t = tok.decode(new int[]{s.token()}, false);
            tokens.add(t);
            tokenLogprobs.add(s.logprob());
            Map<String, Object> best = new LinkedHashMap<>();
            for (int i = 0; i < s.topIds().length; i++) best.put(tok.decode(new int[]{s.topIds()[i]}, false), s.topLogprobs()[i]);
            top.add(best);
            offsets.add(offset);
            offset += t.length();
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("tokens", tokens);
        out.put("token_logprobs", tokenLogprobs);
        out.put("top_logprobs", top);
        out.put("text_offset", offsets);
        return out;
    }

    private static Map<String, Object> tokenEntry(int id, double logprob, Tokenizer tok) {
        String text = tok.decode(new int[]{id}, false);
        List<Integer> bytes = new ArrayList<>();
        for (byte b : text.getBytes(StandardCharsets.UTF_8)) bytes.add(b & 0xff);
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("token", text);
        e.put("logprob", logprob);
        e.put("bytes", bytes);
        return e;
    }
}
