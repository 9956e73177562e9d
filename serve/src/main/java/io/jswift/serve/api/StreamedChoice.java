package io.jswift.serve.api;

import io.jswift.models.generate.TextGenerator.FinishReason;
import io.jswift.models.generate.TokenLogprobs;
import io.jswift.models.tokenizer.Tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One choice of a streamed answer: turns each sampled step (its text piece, its end, its logprobs) into the chunk
 * choices to send, in order. With tool parsing, content passes as it comes and the calls go out at the end of the
 * reply: the content chunk, one chunk with every call (delta.tool_calls), then the finish_reason "tool_calls" alone.
 */
final class StreamedChoice {
    private final int index;
    private final ResponseFormat format;
    private final ToolCallStream tools;   // null: the reply is not read for tool calls
    private final Tokenizer tokenizer;

    StreamedChoice(int index, ResponseFormat format, boolean toolCalls, boolean parallelToolCalls, Tokenizer tokenizer) {
        this.index = index;
        this.format = format;
        this.tools = toolCalls ? new ToolCallStream(parallelToolCalls) : null;
        this.tokenizer = tokenizer;
    }

    /** The first chunk of a chat stream: the role, empty content. */
    Map<String, Object> opening() {
        return format.chunkChoice(index, "assistant", "", List.of(), null, null, tokenizer);
    }

    /** The chunk choices for one step (none when it shows nothing yet); logprobs null: none asked or none for this step. */
    List<Map<String, Object>> step(String text, FinishReason finish, TokenLogprobs logprobs) {
        List<ToolCalls.Call> calls = List.of();
        if (tools != null) {
            text = tools.accept(text);
            if (finish != null) {
                ToolCalls.Parsed end = tools.finish();
                text += end.content();
                calls = end.calls();
            }
        }
        if (text.isEmpty() && finish == null && logprobs == null) return List.of(); // nothing to show yet
        String piece = text.isEmpty() && format == ResponseFormat.CHAT ? null : text;
        List<TokenLogprobs> stepLogprobs = logprobs == null ? null : List.of(logprobs);
        String reason = ResponseFormat.finishReason(finish, calls);
        if (calls.isEmpty()) return List.of(format.chunkChoice(index, null, piece, List.of(), reason, stepLogprobs, tokenizer));
        List<Map<String, Object>> out = new ArrayList<>();
        if (piece != null || stepLogprobs != null) out.add(format.chunkChoice(index, null, piece, List.of(), null, stepLogprobs, tokenizer));
        out.add(format.chunkChoice(index, null, null, calls, null, null, tokenizer));
        out.add(format.chunkChoice(index, null, null, List.of(), reason, null, tokenizer));
        return out;
    }
}
