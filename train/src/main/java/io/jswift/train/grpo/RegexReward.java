package io.jswift.train.grpo;

import java.util.List;
import java.util.regex.Pattern;

/**
 * ms-swift's format rewards: 1 when the completion matches the pattern from its start (Python re.match with DOTALL |
 * MULTILINE, Unicode classes as Python's str patterns), else 0. {@code format}: a think block, whitespace, an answer
 * block and nothing after it; {@code react_format}: a think block, whitespace, then Action: … Action Input: … to the
 * end of a line.
 */
public record RegexReward(String name, Pattern pattern) implements RewardFunction {
    private static final int FLAGS = Pattern.DOTALL | Pattern.MULTILINE | Pattern.UNICODE_CHARACTER_CLASS;

    public static RegexReward format() {
        return new RegexReward("format", Pattern.compile("^<think>.*?</think>\\s*<answer>.*?</answer>(?![\\s\\S])", FLAGS));
    }

    public static RegexReward reactFormat() {
        return new RegexReward("react_format", Pattern.compile("^<think>.*?</think>\\s*Action:.*?Action Input:.*?$", FLAGS));
    }

    @Override
    public double[] score(List<Sample> completions) {
        double[] out = new double[completions.size()];
        for (int i = 0; i < out.length; i++) out[i] = pattern.matcher(completions.get(i).completion()).lookingAt() ? 1 : 0;
        return out;
    }
}
