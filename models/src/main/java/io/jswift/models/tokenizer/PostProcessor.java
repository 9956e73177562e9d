package io.jswift.models.tokenizer;

import java.util.ArrayList;
import java.util.List;

/**
 * tokenizer.json's {@code post_processor}, for one sequence with add_special_tokens = true: the special ids
 * placed before and after the text. TemplateProcessing's {@code single} template (SpecialToken pieces around
 * {@code $A}), RobertaProcessing / BertProcessing ({@code cls} $A {@code sep}), ByteLevel (offsets only: no ids),
 * and Sequence of these, as in HF tokenizers' processors.
 */
record PostProcessor(int[] prefix, int[] suffix) {
    static final String SUPPORTED = "TemplateProcessing, RobertaProcessing, BertProcessing, ByteLevel, Sequence";

    static PostProcessor from(JsonSpec spec) {
        List<Integer> before = new ArrayList<>(), after = new ArrayList<>();
        collect(spec, before, after);
        return new PostProcessor(before.stream().mapToInt(Integer::intValue).toArray(), after.stream().mapToInt(Integer::intValue).toArray());
    }

    private static void collect(JsonSpec spec, List<Integer> before, List<Integer> after) {
        if (spec.isNull()) return;
        String type = spec.type();
        switch (type) {
            case "ByteLevel" -> { }
            case "Sequence" -> { for (JsonSpec p : spec.list("processors")) collect(p, before, after); }
            case "RobertaProcessing", "BertProcessing" -> {
                before.add(pairId(spec.get("cls")));
                after.add(pairId(spec.get("sep")));
            }
            case "TemplateProcessing" -> {
                boolean seenText = false;
                for (JsonSpec piece : spec.list("single")) {
                    if (!piece.get("Sequence").isNull()) {
                        if (!"A".equals(piece.get("Sequence").text("id", "A"))) throw piece.error("of single must use sequence $A");
                        seenText = true;
                        continue;
                    }
                    JsonSpec special = piece.get("SpecialToken");
                    if (special.isNull()) throw piece.error("must be {\"SpecialToken\": ...} or {\"Sequence\": ...}");
                    String name = special.requiredText("id");
                    JsonSpec entry = spec.get("special_tokens").get(name);
                    if (entry.isNull()) throw spec.get("special_tokens").error("has no entry '" + name + "' used by the single template");
                    for (JsonSpec id : entry.list("ids")) (seenText ? after : before).add(id.node().asInt());
                }
            }
            default -> throw spec.unsupported(type, SUPPORTED);
        }
    }

    /** Roberta / Bert processors write a token as ["<s>", 0]. */
    private static int pairId(JsonSpec pair) {
        if (pair.isNull() || !pair.node().isArray() || pair.node().size() != 2 || !pair.node().get(1).canConvertToInt()) {
            throw pair.error("must be [token, id], found " + pair.node());
        }
        return pair.node().get(1).asInt();
    }

    void apply(boolean addSpecialTokens, IntList body, IntList out) {
        if (addSpecialTokens) out.addAll(prefix);
        out.addAll(body.toArray());
        if (addSpecialTokens) out.addAll(suffix);
    }
}
