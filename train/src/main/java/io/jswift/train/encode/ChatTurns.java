package io.jswift.train.encode;

import io.jswift.models.chat.ChatTemplate;
import io.jswift.models.tokenizer.Tokenizer;
import io.jswift.train.data.Message;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A conversation as the model's own chat template renders it, cut into template text and assistant replies by
 * rendering prefixes of the conversation and comparing them: nothing about any particular template is built in.
 *
 * <p>For assistant message a, P = render(messages[0, a), add_generation_prompt) is the prompt inference gives the
 * model and F = render(messages[0, a]) the conversation ending with that reply, so F = P + reply + tail. The
 * reply keeps the end-of-turn text that stops generation: the closing the template writes after every reply
 * (found once from two probe replies: their common tail) up to and including its first special token, e.g.
 * "&lt;|im_end|&gt;" of Qwen's "&lt;|im_end|&gt;\n", or "&lt;|eot_id|&gt;" of the original Llama 3 template's
 * "&lt;|eot_id|&gt;&lt;|start_header_id|&gt;assistant&lt;|end_header_id|&gt;\n\n" (it appends the header even
 * without add_generation_prompt). What follows it is template text (ms-swift trains the suffix token, not chat_sep).
 *
 * <p>A template may show an earlier reply differently once the conversation goes on: Qwen3 drops the think
 * block of replies before the last user message. With loss_scale default / all, ms-swift trains every reply in
 * the form the model generates it, think block kept (Template._get_preserve_thinking: history thinking is kept
 * in training unless last_round), which is also what TRL's qwen3_training template renders. So here each reply
 * is F - P, and the template text between two replies is the next prompt after the earlier reply's history form:
 * the longest start of that text which is also the end of the generated reply (Qwen3: "answer&lt;|im_end|&gt;"
 * ends "&lt;think&gt;\n\n&lt;/think&gt;\n\nanswer&lt;|im_end|&gt;"). With last_round everything before the final round is
 * the prompt exactly as the template renders it (history form, as inference shows it), like ms-swift's
 * last_round. For templates that render history like the last turn (Llama 3, Qwen2.5, ...) both are exactly the
 * template's rendering of the whole conversation, which ends here at the last end-of-turn token.
 */
final class ChatTurns {
    /** A piece of the rendered conversation: an assistant reply (with its end-of-turn token) or template / prompt text. */
    record Segment(String text, boolean reply) {}

    private final ChatTemplate template;
    private final Map<String, Object> kwargs;
    private final String closing;      // what the template writes after every reply
    private final String endOfTurn;    // closing up to and including its first special token: trained with the reply

    ChatTurns(ChatTemplate template, Tokenizer tokenizer, Map<String, Object> kwargs) {
        this.template = template;
        this.kwargs = kwargs;
        List<Message> probe = List.of(new Message("user", "Hi"));
        String prompt = render(probe, probe.size(), true);
        String x = replyText(probe, "x", prompt), y = replyText(probe, "y", prompt);
        int common = 0;
        while (common < Math.min(x.length(), y.length()) && x.charAt(x.length() - 1 - common) == y.charAt(y.length() - 1 - common)) common++;
        closing = x.substring(x.length() - common);
        if (closing.isEmpty()) {
            throw new IllegalArgumentException("the chat template writes nothing after an assistant reply: there is no end-of-turn token to train");
        }
        int end = closing.length();
        for (int id = 0; id < tokenizer.vocabSize(); id++) {
            String token = tokenizer.isSpecial(id) ? tokenizer.idToToken(id) : null;
            if (token == null || token.isEmpty()) continue;
            int at = closing.indexOf(token);
            if (at >= 0 && at + token.length() < end) end = at + token.length();
        }
        endOfTurn = closing.substring(0, end);
    }

    private String replyText(List<Message> before, String content, String prompt) {
        List<Message> conv = new ArrayList<>(before);
        conv.add(new Message("assistant", content));
        String full = render(conv, conv.size(), false);
        if (!full.startsWith(prompt)) {
            throw new IllegalArgumentException("the chat template renders [user, assistant] so that it does not start with the prompt it renders "
                    + "for [user] with add_generation_prompt: cannot tell where the reply begins");
        }
        return full.substring(prompt.length());
    }

    /** The text the template writes after every reply (e.g. "&lt;|im_end|&gt;\n"). */
    String closing() { return closing; }

    /** The trained part of the closing (e.g. "&lt;|im_end|&gt;"). */
    String endOfTurn() { return endOfTurn; }

    /**
     * The conversation's pieces in order; joined they are the text the model trains on. Fails with an
     * IllegalArgumentException saying which message is at fault.
     */
    List<Segment> split(List<Message> messages, LossScale scale) {
        int n = messages.size();
        if (n == 0) throw new IllegalArgumentException("the conversation is empty");
        String lastRole = messages.get(n - 1).role();
        if (!lastRole.equals("assistant")) {
            throw new IllegalArgumentException("the last message is from '" + lastRole + "', not an assistant reply: there is nothing to learn");
        }
        int lastQuery = -1;
        for (int i = 0; i < n; i++) if (messages.get(i).role().equals("user") || messages.get(i).role().equals("tool")) lastQuery = i;
        List<Integer> replies = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            if (messages.get(i).role().equals("assistant") && (scale != LossScale.LAST_ROUND || i > lastQuery)) replies.add(i);
        }
        int first = replies.get(0);
        if (first == 0) throw new IllegalArgumentException("messages[0] is an assistant reply with nothing before it to answer");

        List<Segment> out = new ArrayList<>();
        String prompt = render(messages, first, true), previousPrompt = null, previousReply = null;
        out.add(new Segment(prompt, false));
        int previous = -1;
        for (int a : replies) {
            if (a != first) {
                prompt = render(messages, a, true);
                if (!prompt.startsWith(previousPrompt)) {
                    throw new IllegalArgumentException("the chat template renders the turns before messages[" + a + "] differently from how it "
                            + "rendered them before messages[" + previous + "]: cannot line the replies up");
                }
                String between = prompt.substring(previousPrompt.length());
                int history = historyLength(between, previousReply);
                if (history < 0) {
                    throw new IllegalArgumentException("messages[" + previous + "]: the chat template shows this reply to later turns in a form that "
                            + "is not the end of how it renders it as the last turn; --loss_scale last_round trains the final reply only");
                }
                out.add(new Segment(between.substring(history), false));
            }
            String full = render(messages, a + 1, false);
            if (!full.startsWith(prompt)) {
                throw new IllegalArgumentException("messages[" + a + "]: the chat template's rendering of this reply does not start with "
                        + "the generation prompt it renders for the turns before it");
            }
            String reply = full.substring(prompt.length());
            if (!reply.endsWith(closing)) {
                throw new IllegalArgumentException("messages[" + a + "]: the chat template renders no assistant reply ending with its "
                        + "end-of-turn text " + quote(closing) + " here");
            }
            String trained = reply.substring(0, reply.length() - closing.length() + endOfTurn.length());
            out.add(new Segment(trained, true));
            previousPrompt = prompt;
            previousReply = trained;
            previous = a;
        }
        return out;
    }

    /**
     * How much of {@code between} (the template's text after the earlier prompt) is that earlier reply in its
     * history form: the longest start of it that ends with the end-of-turn text and is also the end of the reply
     * as generated; -1 when there is none.
     */
    private int historyLength(String between, String reply) {
        int best = -1;
        for (int at = between.indexOf(endOfTurn); at >= 0; at = between.indexOf(endOfTurn, at + 1)) {
            int end = at + endOfTurn.length();
            if (end > reply.length()) break;
            if (reply.regionMatches(reply.length() - end, between, 0, end)) best = end;
        }
        return best;
    }

    private String render(List<Message> messages, int count, boolean addGenerationPrompt) {
        List<Map<String, Object>> maps = new ArrayList<>(count);
        for (Message m : messages.subList(0, count)) {
            Map<String, Object> map = new LinkedHashMap<>();
            map.put("role", m.role());
            map.put("content", m.content());
            maps.add(map);
        }
        return template.render(maps, addGenerationPrompt, null, kwargs);
    }

    private static String quote(String s) {
        return "\"" + s.replace("\n", "\\n") + "\"";
    }
}
