package io.jswift.train.encode;

import java.util.List;

/**
 * ms-swift's self-cognition placeholders: {@code {{NAME}}} and {@code {{AUTHOR}}} in message contents become
 * --model_name / --model_author. Each flag takes a Chinese and an English spelling (one value serves both);
 * a row tagged "zh" gets the Chinese one, any other row the English one (SelfCognitionPreprocessor in
 * swift/dataset/dataset/llm.py). A null spelling leaves its placeholder as it is.
 */
public record SelfCognition(String nameZh, String nameEn, String authorZh, String authorEn) {
    /** From the flag values (null or empty: not given; one value: both languages; two: zh, en). */
    public static SelfCognition of(List<String> modelName, List<String> modelAuthor) {
        String[] name = spellings(modelName, "--model_name"), author = spellings(modelAuthor, "--model_author");
        return new SelfCognition(name[0], name[1], author[0], author[1]);
    }

    private static String[] spellings(List<String> values, String flag) {
        if (values == null || values.isEmpty()) return new String[2];
        if (values.size() > 2) throw new IllegalArgumentException(flag + " takes one or two values (Chinese, English), got " + values.size());
        return new String[]{values.get(0), values.size() == 2 ? values.get(1) : values.get(0)};
    }

    /** {@code text} with the placeholders replaced for a row tagged {@code tag} (may be null). */
    public String apply(String text, String tag) {
        boolean zh = "zh".equals(tag);
        String name = zh ? nameZh : nameEn, author = zh ? authorZh : authorEn;
        if (name != null) text = text.replace("{{NAME}}", name);
        if (author != null) text = text.replace("{{AUTHOR}}", author);
        return text;
    }
}
