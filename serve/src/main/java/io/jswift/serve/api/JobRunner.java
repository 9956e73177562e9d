package io.jswift.serve.api;

import io.jswift.models.generate.SequenceState;
import io.jswift.models.generate.TextGenerator.FinishReason;
import io.jswift.models.generate.TokenLogprobs;
import io.jswift.models.tokenizer.Tokenizer;
import io.jswift.serve.engine.Engine;
import io.jswift.serve.engine.QueueFullException;
import io.jswift.serve.engine.SequenceHandle;
import io.jswift.serve.engine.SequenceListener;
import io.jswift.serve.engine.SequenceRequest;
import io.jswift.serve.engine.ShuttingDownException;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * Runs one {@link GenerationJob} on the engine and answers it: a whole JSON answer, or server-sent events
 * ({@code data: {...}} per chunk, flushed each, then {@code data: [DONE]}). The handler's (virtual) thread waits on
 * the events the scheduler hands over; when the client goes away (a failed write or a connection failure) the
 * job's sequences are cancelled and leave the batch at the next step.
 */
final class JobRunner {
    /** One sampled token of choice {@code index}, or the failure that ended it (a cancellation: null step and failure). */
    private record Event(int index, SequenceState.Step step, RuntimeException failure) {}

    private final Engine engine;
    private final Tokenizer tokenizer;

    JobRunner(Engine engine) {
        this.engine = engine;
        this.tokenizer = engine.session().tokenizer();
    }

    /** Answers the job; returns the HTTP status sent. A full queue is a 429 {@link ApiError} before anything is written. */
    int run(GenerationJob job, ResponseFormat format, Request request, Response response) throws IOException {
        BlockingQueue<Event> events = new LinkedBlockingQueue<>();
        List<SequenceRequest> seqs = new ArrayList<>();
        for (int i = 0; i < job.n(); i++) {
            int index = i;
            SequenceListener listener = new SequenceListener() {
                @Override public void onStep(SequenceState.Step step) { events.add(new Event(index, step, null)); }
                @Override public void onFailure(RuntimeException error) { events.add(new Event(index, null, error)); }
                @Override public void onCancelled() { events.add(new Event(index, null, null)); }
            };
            seqs.add(new SequenceRequest(job.prompt(), job.params().withSeed(job.params().seed() + i), job.topLogprobs(), job.ignoreEos(),
                    listener, job.adapter(), job.images()));
        }
        List<SequenceHandle> handles;
        try {
            handles = engine.submit(seqs);
        } catch (QueueFullException e) {
            throw new ApiError(429, "rate_limit_error", "queue_full", null, e.getMessage());
        } catch (ShuttingDownException e) {
            throw new ApiError(503, "service_unavailable", "shutting_down", null, e.getMessage());
        } catch (IllegalArgumentException e) { // the engine's own checks of the prompt and its budget
            throw ApiError.invalid(null, e.getMessage());
        }
        request.addFailureListener(t -> handles.forEach(SequenceHandle::cancel));
        String id = format.idPrefix + UUID.randomUUID().toString().replace("-", "");
        long created = System.currentTimeMillis() / 1000;
        try {
            return job.stream() ? stream(job, format, id, created, events, response) : whole(job, format, id, created, events, response);
        } finally {
            handles.forEach(SequenceHandle::cancel); // no-op for finished sequences; frees the slots of an abandoned job
        }
    }

    private int whole(GenerationJob job, ResponseFormat format, String id, long created, BlockingQueue<Event> events,
                      Response response) throws IOException {
        StringBuilder[] text = new StringBuilder[job.n()];
        FinishReason[] finish = new FinishReason[job.n()];
        List<List<TokenLogprobs>> logprobs = new ArrayList<>();
        for (int i = 0; i < job.n(); i++) {
            text[i] = new StringBuilder();
            logprobs.add(job.logprobs() ? new ArrayList<>() : null);
        }
        int sampled = 0, open = job.n();
        while (open > 0) {
            Event e = take(events);
            if (e.failure() != null) throw internal(e.failure());
            sampled++;
            text[e.index()].append(e.step().text());
            if (job.logprobs() && e.step().finish() != FinishReason.EOS) logprobs.get(e.index()).add(e.step().logprobs());
            if (e.step().finish() != null) {
                finish[e.index()] = e.step().finish();
                open--;
            }
        }
        List<Object> choices = new ArrayList<>();
        for (int i = 0; i < job.n(); i++) {
            ToolCalls.Parsed reply = job.toolCalls() ? ToolCalls.parse(text[i].toString(), job.parallelToolCalls())
                    : new ToolCalls.Parsed(text[i].toString(), List.of());
            choices.add(format.choice(i, reply.content(), reply.calls(), ResponseFormat.finishReason(finish[i], reply.calls()), logprobs.get(i), tokenizer));
        }
        Map<String, Object> body = header(id, format.object, created, job.model());
        body.put("choices", choices);
        body.put("usage", usage(job.prompt().length, sampled));
        response.setStatus(200);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        Content.Sink.write(response, true, ByteBuffer.wrap(Json.write(body)));
        return 200;
    }

    private int stream(GenerationJob job, ResponseFormat format, String id, long created, BlockingQueue<Event> events,
                       Response response) throws IOException {
        response.setStatus(200);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/event-stream; charset=utf-8");
        response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-cache");
        List<StreamedChoice> choices = new ArrayList<>();
        for (int i = 0; i < job.n(); i++) {
            choices.add(new StreamedChoice(i, format, job.toolCalls(), job.parallelToolCalls(), tokenizer));
            if (format == ResponseFormat.CHAT) send(response, chunk(job, format, id, created, choices.get(i).opening()));
        }
        int sampled = 0, open = job.n();
        while (open > 0) {
            Event e = take(events);
            if (e.failure() != null) {
                send(response, internal(e.failure()).body());
                break;
            }
            sampled++;
            SequenceState.Step step = e.step();
            if (step.finish() != null) open--;
            TokenLogprobs logprobs = job.logprobs() && step.finish() != FinishReason.EOS ? step.logprobs() : null;
            for (Map<String, Object> c : choices.get(e.index()).step(step.text(), step.finish(), logprobs)) send(response, chunk(job, format, id, created, c));
        }
        if (job.includeUsage()) {
            Map<String, Object> last = header(id, format.chunkObject, created, job.model());
            last.put("choices", List.of());
            last.put("usage", usage(job.prompt().length, sampled));
            send(response, last);
        }
        Content.Sink.write(response, true, ByteBuffer.wrap("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8)));
        return 200;
    }

    private static Map<String, Object> chunk(GenerationJob job, ResponseFormat format, String id, long created, Map<String, Object> choice) {
        Map<String, Object> c = header(id, format.chunkObject, created, job.model());
        c.put("choices", List.of(choice));
        if (job.includeUsage()) c.put("usage", null); // OpenAI: null on every chunk but the last
        return c;
    }

    /** One SSE event, flushed to the client now. */
    private static void send(Response response, Object json) throws IOException {
        Content.Sink.write(response, false, ByteBuffer.wrap(("data: " + Json.text(json) + "\n\n").getBytes(StandardCharsets.UTF_8)));
    }

    private static Map<String, Object> header(String id, String object, long created, String model) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", id);
        m.put("object", object);
        m.put("created", created);
        m.put("model", model);
        return m;
    }

    /** prompt_tokens counts the prompt once (all choices share it), completion_tokens every token sampled (eos included, as vLLM). */
    private static Map<String, Object> usage(int prompt, int completion) {
        Map<String, Object> u = new LinkedHashMap<>();
        u.put("prompt_tokens", prompt);
        u.put("completion_tokens", completion);
        u.put("total_tokens", prompt + completion);
        return u;
    }

    /** The next event; a cancelled sequence (its client went away) ends the answer: nobody is left to read it. */
    private static Event take(BlockingQueue<Event> events) throws IOException {
        Event e;
        try {
            e = events.take();
        } catch (InterruptedException x) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for tokens", x);
        }
        if (e.step() == null && e.failure() == null) throw new IOException("the request was cancelled: its client went away");
        return e;
    }

    private static ApiError internal(RuntimeException e) {
        return new ApiError(500, "internal_error", "generation_failed", null, "generation failed: " + e.getMessage());
    }
}
