package io.jswift.backend.cuda;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The by-value argument of the flash attention kernels (flash_params.cuh's {@code struct FlashParams}): 8-byte
 * fields in the header's order, pointers as device addresses, strides in elements, the scale as a double's bits.
 * {@link #FIELDS} is the header's field list; FlashParamsTest checks the two agree.
 */
final class FlashParams {
    static final List<String> FIELDS = List.of(
            "q", "k", "v", "o", "dout", "out", "lse", "delta", "dq_acc", "dq", "dk", "dv", "qseg", "kseg",
            "q_sb", "q_sh", "q_st", "k_sb", "k_sh", "k_st", "v_sb", "v_sh", "v_st", "o_sb", "o_sh", "o_st",
            "do_sb", "do_sh", "do_st", "lse_sb", "lse_sh", "lse_st", "qseg_sb", "kseg_sb",
            "B", "Hq", "group", "T", "S", "causal", "window", "has_seg", "scale");

    /** A [B, H, rows, D] operand: device address of its first element, element strides of b, h and row (d is 1). */
    record Operand(long address, long sb, long sh, long st) {
        static final Operand NONE = new Operand(0, 0, 0, 0);
    }

    private final Map<String, Long> words = new LinkedHashMap<>();

    FlashParams() {
        for (String f : FIELDS) words.put(f, 0L);
    }

    FlashParams set(String field, long value) {
        if (!words.containsKey(field)) throw new IllegalArgumentException("FlashParams has no field " + field);
        words.put(field, value);
        return this;
    }

    /** Address and strides of operand {@code name} (q, k, v, o, dout; lse for the backward's input). */
    FlashParams operand(String name, Operand o) {
        String prefix = name.equals("dout") ? "do" : name;
        set(name, o.address());
        set(prefix + "_sb", o.sb());
        set(prefix + "_sh", o.sh());
        return set(prefix + "_st", o.st());
    }

    FlashParams scale(double scale) { return set("scale", Double.doubleToRawLongBits(scale)); }

    /** The struct's bytes as 64-bit words, in order. */
    long[] words() {
        return words.values().stream().mapToLong(Long::longValue).toArray();
    }
}
