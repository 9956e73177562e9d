package io.jswift.train.pref;

import io.jswift.train.data.DatasetException;
import io.jswift.train.data.LocatedSample;
import io.jswift.train.data.Message;
import io.jswift.train.data.Sample;
import io.jswift.train.encode.ChatEncoder;
import io.jswift.train.encode.Encoded;
import io.jswift.train.encode.LossScale;

import java.util.ArrayList;
import java.util.List;

/**
 * KTO rows as examples rendered by the model's chat template: ms-swift's {@code {"messages": [..., {"role":
 * "assistant", "content": REPLY}], "label": true|false}} gives one example (prompt = the messages before the last reply,
 * completion = that reply up to and including the end-of-turn token, as {@link PreferenceEncoder} cuts it); a
 * preference row gives two, its chosen reply desirable and its rejected reply undesirable (TRL's
 * unpair_preference_dataset). Other rows, or an empty reply, fail with {@code file:line}.
 */
public final class KtoEncoder {
    private final ChatEncoder chat;

    public KtoEncoder(ChatEncoder chat) {
        if (chat.lossScale() != LossScale.LAST_ROUND) {
            throw new IllegalArgumentException("KTO rows train the last reply only (loss_scale last_round), got " + chat.lossScale());
        }
        this.chat = chat;
    }

    public List<KtoExample> encode(LocatedSample row) {
        return switch (row.sample()) {
            case Sample.Kto k -> {
                List<Message> m = k.messages();
                if (m.isEmpty() || !m.get(m.size() - 1).role().equals("assistant")) {
                    throw new DatasetException(row.file(), row.line(), "a KTO row needs 'messages' ending with the assistant reply that 'label' judges");
                }
                yield List.of(example(row, m.subList(0, m.size() - 1), m.get(m.size() - 1).content(), k.desirable()));
            }
            case Sample.Preference p -> List.of(example(row, p.prompt(), p.chosen(), true), example(row, p.prompt(), p.rejected(), false));
            case Sample.Chat c -> throw new DatasetException(row.file(), row.line(), "a KTO row needs 'label' (true: a desirable reply, false: an "
                    + "undesirable one) beside 'messages', or a preference pair ('rejected_response', or 'prompt' / 'chosen' / 'rejected')");
            case Sample.Text t -> throw new DatasetException(row.file(), row.line(), "a text row is not a KTO example");
            case Sample.Tokenized t -> throw new DatasetException(row.file(), row.line(), "a pre-tokenized row is not a KTO example");
        };
    }

    private KtoExample example(LocatedSample row, List<Message> prompt, String reply, boolean desirable) {
        if (reply.isBlank()) throw new DatasetException(row.file(), row.line(), "the " + (desirable ? "desirable" : "undesirable") + " reply is empty");
        if (prompt.isEmpty()) throw new DatasetException(row.file(), row.line(), "a KTO row needs a prompt before the reply");
        List<Message> messages = new ArrayList<>(prompt);
        messages.add(new Message("assistant", reply));
        Encoded e = chat.encode(new LocatedSample(row.file(), row.line(), new Sample.Chat(messages)));
        return KtoExample.of(e, desirable);
    }
}
