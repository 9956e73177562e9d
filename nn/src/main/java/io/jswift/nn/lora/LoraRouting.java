package io.jswift.nn.lora;

import java.util.ArrayList;
import java.util.List;

/**
 * Which adapter each row (dim 0) of the next forward uses: the state that every {@link MultiLoraLinear} of one model
 * shares and that {@link MultiLora#route} sets around a forward. Row r uses adapter rows[r] (an index into the model's
 * adapters) or none (-1: the base model alone). Rows of one adapter should be adjacent: each run of equal entries is
 * one segment whose low-rank products are one GEMM pair (Punica's SGMV segments; S-LoRA sorts its batch the same way).
 * One thread at a time: the serving scheduler that owns the model.
 */
final class LoraRouting {
    /** A run of rows [start, start + length) that use one adapter (-1: none). */
    record Segment(int adapter, int start, int length) {}

    private List<Segment> segments;  // null: no routing in effect, every row is the base model's
    private int rows;

    void set(int[] rowAdapters, int adapters) {
        if (segments != null) throw new IllegalStateException("a LoRA routing is already in effect: close it before routing the next forward");
        if (rowAdapters.length == 0) throw new IllegalArgumentException("a routed forward needs at least one row");
        List<Segment> out = new ArrayList<>();
        int start = 0;
        for (int r = 1; r <= rowAdapters.length; r++) {
            int a = rowAdapters[r - 1];
            if (a < -1 || a >= adapters) throw new IllegalArgumentException("row " + (r - 1) + " names adapter " + a + ": the model has " + adapters + " (-1: none)");
            if (r == rowAdapters.length || rowAdapters[r] != a) {
                out.add(new Segment(a, start, r - start));
                start = r;
            }
        }
        this.segments = List.copyOf(out);
        this.rows = rowAdapters.length;
    }

    void clear() { segments = null; }

    /** The segments of the forward in progress, or null when none was routed (the base model answers). */
    List<Segment> segments() { return segments; }

    int rows() { return rows; }
}
