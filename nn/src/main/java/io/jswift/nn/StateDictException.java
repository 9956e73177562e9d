package io.jswift.nn;

import java.util.List;

/** A strict state-dict load found missing, unexpected or mis-shaped tensors; all of them are listed. */
public final class StateDictException extends IllegalArgumentException {
    private final List<String> missing, unexpected, mismatched;

    public StateDictException(String source, List<String> missing, List<String> unexpected, List<String> mismatched) {
        super(message(source, missing, unexpected, mismatched));
        this.missing = List.copyOf(missing);
        this.unexpected = List.copyOf(unexpected);
        this.mismatched = List.copyOf(mismatched);
    }

    public List<String> missing() { return missing; }

    public List<String> unexpected() { return unexpected; }

    public List<String> mismatched() { return mismatched; }

    private static String message(String source, List<String> missing, List<String> unexpected, List<String> mismatched) {
        StringBuilder sb = new StringBuilder("cannot load weights from " + source + ":");
        if (!missing.isEmpty()) sb.append(" missing ").append(missing.size()).append(" tensor(s) ").append(abbreviate(missing)).append(';');
        if (!unexpected.isEmpty()) sb.append(" unexpected ").append(unexpected.size()).append(" tensor(s) ").append(abbreviate(unexpected)).append(';');
        if (!mismatched.isEmpty()) sb.append(" wrong shape: ").append(abbreviate(mismatched)).append(';');
        sb.setLength(sb.length() - 1);
        return sb.toString();
    }

    private static String abbreviate(List<String> names) {
        int shown = Math.min(names.size(), 8);
        String s = String.join(", ", names.subList(0, shown));
        return names.size() > shown ? "[" + s + ", ... " + (names.size() - shown) + " more]" : "[" + s + "]";
    }
}
