package io.jswift.train.encode;

import io.jswift.models.chat.ChatTemplate;
import io.jswift.models.tokenizer.Tokenizer;
import io.jswift.models.vision.VisionInput;
import io.jswift.train.data.DatasetException;
import io.jswift.train.data.LocatedSample;
import io.jswift.train.data.Message;
import io.jswift.train.data.Sample;

import java.io.IOException;
import java.time.LocalDate;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code jswift sft}: a conversation rendered by the model's own chat template (the renderer inference uses)
 * becomes input ids and labels, with loss where {@link LossScale} says (by default every assistant reply and
 * its end-of-turn token). How the rendering is cut into replies and template text: {@link ChatTurns}.
 *
 * <p>The ids are the pieces tokenized one by one (as ms-swift's _encode_context_list does): each reply starts
 * a fresh tokenization exactly where generation starts at inference, after the prompt tokenized on its own.
 * Where a reply does not begin at a pre-tokenizer boundary of the joined text (a reply starting with "\n"
 * after a prompt ending in "\n" under a template that does not strip it) tokenizing the joined text would merge
 * across the boundary into a token inference never sees there; everywhere else the two agree (tested on the
 * Qwen3 and Llama 3 templates, whose replies follow a special token or a stripped newline).
 *
 * <p>All chat-like rows are conversations: messages, alpaca, query/response/history, sharegpt; a preference
 * row trains its chosen reply (ms-swift's sft ignores rejected_response). Pre-tokenized rows pass through.
 * Plain text rows and KTO rows are rejected. Options: a default system prompt for rows without one
 * (--system), and self-cognition placeholders (--model_name / --model_author). A vision-language model's rows may list
 * images (ms-swift's "images" column with {@code <image>} tags): {@link ChatImages}.
 */
public final class ChatEncoder implements Encoder {
    private final Tokenizer tokenizer;
    private final ChatTurns turns;
    private final LossScale lossScale;
    private final String defaultSystem;
    private final SelfCognition selfCognition;
    private final ChatImages images; // null: a text-only model

    public ChatEncoder(Tokenizer tokenizer, ChatTemplate template, LossScale lossScale) {
        this(tokenizer, template, lossScale, null, null);
    }

    /**
     * @param defaultSystem system prompt for rows that have none (null: the template's own default, if any)
     * @param selfCognition {{NAME}} / {{AUTHOR}} replacements (null: placeholders left as they are)
     */
    public ChatEncoder(Tokenizer tokenizer, ChatTemplate template, LossScale lossScale, String defaultSystem, SelfCognition selfCognition) {
        this(tokenizer, template, lossScale, defaultSystem, selfCognition, null);
    }

    /** As above for a vision-language model: rows' images encoded by {@code images} (null: rows with images are refused). */
    public ChatEncoder(Tokenizer tokenizer, ChatTemplate template, LossScale lossScale, String defaultSystem, SelfCognition selfCognition,
                       ChatImages images) {
        this.images = images;
        this.tokenizer = tokenizer;
        this.lossScale = lossScale;
        this.defaultSystem = defaultSystem;
        this.selfCognition = selfCognition;
        // Templates that print a date (Llama 3.1: strftime_now unless date_string is given) see one date for the
        // whole run, so a row re-encoded on a later day still has the ids it was indexed with.
        String today = LocalDate.now().format(DateTimeFormatter.ofPattern("dd MMM yyyy", Locale.ENGLISH));
        this.turns = new ChatTurns(template, tokenizer, Map.of("date_string", today));
    }

    public LossScale lossScale() { return lossScale; }

    @Override
    public Encoded encode(LocatedSample row) {
        return switch (row.sample()) {
            case Sample.Tokenized t -> TokenizedRows.encode(t);
            case Sample.Chat c -> conversation(row, c.messages(), c.tag(), c.images());
            case Sample.Preference p -> {
                List<Message> chosen = new ArrayList<>(p.prompt());
                chosen.add(new Message("assistant", p.chosen()));
                yield conversation(row, chosen, null, List.of());
            }
            case Sample.Kto k -> throw new DatasetException(row.file(), row.line(), "a KTO row (with 'label') is for jswift rlhf --rlhf_type kto; "
                    + "jswift sft would learn its undesirable replies too");
            case Sample.Text t -> throw new DatasetException(row.file(), row.line(), "a text row has no conversation to fine-tune on: jswift sft "
                    + "takes messages, instruction/output, query/response or conversations rows (plain text is for jswift pt)");
        };
    }

    /**
     * The conversation as it is rendered: the default system prompt put first when the row has none, consecutive
     * user or assistant messages joined into one (ms-swift's _swift_prepare_inputs, which concatenates their
     * contents; templates such as Qwen3's render an assistant message followed by another one inconsistently),
     * self-cognition placeholders replaced.
     */
    public List<Message> prepare(List<Message> messages, String tag) {
        List<Message> out = new ArrayList<>(messages.size() + 1);
        if (defaultSystem != null && (messages.isEmpty() || !messages.get(0).role().equals("system"))) {
            out.add(new Message("system", defaultSystem));
        }
        for (Message m : messages) {
            Message last = out.isEmpty() ? null : out.get(out.size() - 1);
            boolean joins = last != null && last.role().equals(m.role()) && (m.role().equals("user") || m.role().equals("assistant"));
            if (joins) out.set(out.size() - 1, new Message(m.role(), last.content() + m.content()));
            else out.add(m);
        }
        if (selfCognition != null) out.replaceAll(m -> new Message(m.role(), selfCognition.apply(m.content(), tag)));
        return out;
    }

    private Encoded conversation(LocatedSample row, List<Message> messages, String tag, List<String> imageRefs) {
        List<ChatTurns.Segment> segments;
        VisionInput pixels = null;
        try {
            List<Message> prepared = prepare(messages, tag);
            if (!imageRefs.isEmpty()) {
                if (images == null) throw new IllegalArgumentException("the row has images but the model is text-only (images need Qwen2-VL or Qwen2.5-VL)");
                prepared = images.withPlaceholders(prepared, imageRefs.size());
                pixels = images.load(imageRefs, row.file().toAbsolutePath().getParent());
            }
            segments = turns.split(prepared, lossScale);
        } catch (IllegalArgumentException | IOException e) { // the row's own problem (images too), or the template's error message for it
            throw new DatasetException(row.file(), row.line(), e.getMessage());
        }
        List<int[]> pieces = new ArrayList<>(segments.size());
        int length = 0;
        for (ChatTurns.Segment s : segments) {
            int[] ids = tokenizer.encode(s.text(), false);
            pieces.add(ids);
            length += ids.length;
        }
        int[] ids = new int[length], labels = new int[length];
        int at = 0;
        for (int i = 0; i < segments.size(); i++) {
            int[] piece = pieces.get(i);
            boolean loss = lossScale == LossScale.ALL || segments.get(i).reply();
            for (int id : piece) {
                ids[at] = id;
                labels[at++] = loss ? id : Encoded.IGNORE;
            }
        }
        if (pixels == null) return new Encoded(ids, labels);
        try {
            return images.expand(ids, labels, pixels);
        } catch (IllegalArgumentException e) {
            throw new DatasetException(row.file(), row.line(), e.getMessage());
        }
    }
}
