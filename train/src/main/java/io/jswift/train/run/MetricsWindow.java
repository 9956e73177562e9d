package io.jswift.train.run;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Objective metrics between two log lines: every micro-batch adds its values, a log line takes the mean of each
 * key and clears the window (TRL's {@code _metrics[mode][key].append(...)} and {@code sum(val) / len(val)} in log).
 */
final class MetricsWindow {
    private final Map<String, List<Double>> values = new LinkedHashMap<>();

    void add(Map<String, Double> metrics) {
        metrics.forEach((k, v) -> values.computeIfAbsent(k, x -> new ArrayList<>()).add(v));
    }

    /** The mean of each key since the last drain, keys prefixed, in first-seen order; the window is then empty. */
    Map<String, Double> drain(String prefix) {
        Map<String, Double> out = new LinkedHashMap<>();
        values.forEach((k, list) -> {
            double sum = 0;
            for (double v : list) sum += v;
            out.put(prefix + k, sum / list.size());
        });
        values.clear();
        return out;
    }
}
