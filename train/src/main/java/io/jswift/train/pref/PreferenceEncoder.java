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
 * A preference row ({@code messages} ending with the chosen reply + {@code rejected_response}, or {@code prompt} /
 * {@code chosen} / {@code rejected}) as two sequences rendered by the model's chat template: the prompt is the
 * messages before the last reply rendered with the generation prompt, the completion the rest of the rendered
 * conversation up to and including the end-of-turn token, exactly what {@code sft} trains as the last reply
 * ({@link ChatEncoder} with loss_scale last_round: earlier replies are prompt). Rows that are no preference pair,
 * or with an empty reply, fail with {@code file:line}.
 */
public final class PreferenceEncoder {
    private final ChatEncoder chat;

    /** {@code chat} must train the last round only (loss_scale last_round, ms-swift's default for rlhf). */
    public PreferenceEncoder(ChatEncoder chat) {
        if (chat.lossScale() != LossScale.LAST_ROUND) {
            throw new IllegalArgumentException("preference rows train the last reply only (loss_scale last_round), got " + chat.lossScale());
        }
        this.chat = chat;
    }

    public PreferencePair encode(LocatedSample row) {
        Sample.Preference p = switch (row.sample()) {
            case Sample.Preference pref -> pref;
            case Sample.Chat c -> throw new DatasetException(row.file(), row.line(), "a preference row needs 'rejected_response' beside 'messages' "
                    + "(or 'prompt', 'chosen' and 'rejected'); this one has no rejected reply");
            case Sample.Kto k -> throw new DatasetException(row.file(), row.line(), "a KTO row (with 'label') is for --rlhf_type kto, not a preference pair");
            case Sample.Text t -> throw new DatasetException(row.file(), row.line(), "a text row is not a preference pair");
            case Sample.Tokenized t -> throw new DatasetException(row.file(), row.line(), "a pre-tokenized row is not a preference pair");
        };
        if (p.chosen().isBlank()) throw new DatasetException(row.file(), row.line(), "the chosen reply (the last assistant message, or 'chosen') is empty");
        if (p.rejected().isBlank()) throw new DatasetException(row.file(), row.line(), "the rejected reply ('rejected_response' or 'rejected') is empty");
        if (p.prompt().isEmpty()) throw new DatasetException(row.file(), row.line(), "a preference row needs a prompt before the chosen reply");
        return new PreferencePair(sequence(row, p.prompt(), p.chosen()), sequence(row, p.prompt(), p.rejected()));
    }

    private Encoded sequence(LocatedSample row, List<Message> prompt, String reply) {
        List<Message> messages = new ArrayList<>(prompt);
        messages.add(new Message("assistant", reply));
        return chat.encode(new LocatedSample(row.file(), row.line(), new Sample.Chat(messages)));
    }
}
