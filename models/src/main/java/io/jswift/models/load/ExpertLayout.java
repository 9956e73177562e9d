package io.jswift.models.load;

import io.jswift.tensor.Tensor;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * MoE experts one tensor per expert in checkpoints ({@code mlp.experts.N.gate_proj.weight} [I, C], ... — what the Hub's
 * checkpoints hold and transformers 5's save_pretrained writes back) and fused in the module as transformers 5 holds
 * them ({@code mlp.experts.gate_up_proj} [E, 2I, C] = each expert's gate rows then up rows, {@code mlp.experts.down_proj}
 * [E, C, I]); transformers' conversion_mapping "qwen2_moe" and "mixtral" (which also stores the block as
 * {@code block_sparse_moe} and names the projections w1 = gate, w3 = up, w2 = down). A checkpoint already in the fused
 * layout loads as it is.
 *
 * @param block the checkpoint's name of the MoE block where the module says {@code mlp} (Mixtral: block_sparse_moe), or null
 */
public record ExpertLayout(String block, String gate, String up, String down) implements CheckpointLayout {
    public static final ExpertLayout QWEN2_MOE = new ExpertLayout(null, "gate_proj", "up_proj", "down_proj");
    public static final ExpertLayout MIXTRAL = new ExpertLayout("block_sparse_moe", "w1", "w3", "w2");

    private static final Pattern EXPERT = Pattern.compile("^(.*\\.mlp\\.experts)\\.(\\d+)\\.(\\w+)\\.weight$");
    private static final Pattern FUSED = Pattern.compile("^(.*\\.mlp\\.experts)\\.(gate_up_proj|down_proj)$");

    @Override
    public Map<String, Tensor> toModule(Map<String, Tensor> checkpoint, String source) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        Map<String, TreeMap<Integer, Map<String, Tensor>>> groups = new LinkedHashMap<>(); // experts prefix → expert → projection
        for (var e : checkpoint.entrySet()) {
            String name = block == null ? e.getKey() : e.getKey().replace("." + block + ".", ".mlp.");
            Matcher m = EXPERT.matcher(name);
            if (m.matches() && (m.group(3).equals(gate) || m.group(3).equals(up) || m.group(3).equals(down))) {
                groups.computeIfAbsent(m.group(1), k -> new TreeMap<>()).computeIfAbsent(Integer.parseInt(m.group(2)), k -> new LinkedHashMap<>())
                        .put(m.group(3), e.getValue());
            } else {
                out.put(name, e.getValue());
            }
        }
        groups.forEach((prefix, experts) -> {
            List<Tensor> gates = new ArrayList<>(), ups = new ArrayList<>(), downs = new ArrayList<>();
            for (int i = 0; i < experts.size(); i++) {
                Map<String, Tensor> p = experts.get(i);
                if (p == null || p.size() != 3) {
                    throw new IllegalArgumentException(source + ": " + prefix + "." + i + " lacks " + (p == null ? "every projection" : "some of "
                            + gate + ", " + up + ", " + down) + " (experts must be numbered 0.." + (experts.lastKey()) + " with all three)");
                }
                gates.add(p.get(gate));
                ups.add(p.get(up));
                downs.add(p.get(down));
            }
            out.put(prefix + ".gate_up_proj", stack(gates, ups, prefix, source));
            out.put(prefix + ".down_proj", stack(downs, null, prefix, source));
        });
        return out;
    }

    @Override
    public Map<String, Tensor> toCheckpoint(Map<String, Tensor> state) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (var e : state.entrySet()) {
            Matcher m = FUSED.matcher(e.getKey());
            if (!m.matches()) {
                out.put(renamed(e.getKey()), e.getValue());
                continue;
            }
            Tensor t = e.getValue(); // [E, 2I, C] or [E, C, I]
            String prefix = renamed(m.group(1));
            for (int x = 0; x < t.size(0); x++) {
                Tensor one = t.select(0, x);
                if (m.group(2).equals("down_proj")) {
                    out.put(prefix + "." + x + "." + down + ".weight", one.contiguous());
                } else {
                    int i = one.size(0) / 2;
                    out.put(prefix + "." + x + "." + gate + ".weight", one.narrow(0, 0, i).contiguous());
                    out.put(prefix + "." + x + "." + up + ".weight", one.narrow(0, i, i).contiguous());
                }
            }
        }
        return out;
    }

    private String renamed(String name) { return block == null ? name : name.replace(".mlp.", "." + block + "."); }

    /** [E, rows, cols] from E [rows, cols] tensors, or [E, 2·rows, cols] from gate and up stacked per expert. */
    private static Tensor stack(List<Tensor> first, List<Tensor> second, String prefix, String source) {
        Tensor t0 = first.get(0);
        int rows = t0.size(0), cols = t0.size(1), per = second == null ? rows : 2 * rows;
        Tensor out = Tensor.zeros(t0.dtype(), first.size(), per, cols);
        for (int e = 0; e < first.size(); e++) {
            for (int part = 0; part < (second == null ? 1 : 2); part++) {
                Tensor src = part == 0 ? first.get(e) : second.get(e);
                if (src.rank() != 2 || src.size(0) != rows || src.size(1) != cols || src.dtype() != t0.dtype()) {
                    throw new IllegalArgumentException(source + ": expert " + e + " of " + prefix + " has shape " + java.util.Arrays.toString(src.shape())
                            + " " + src.dtype() + ", expert 0 has [" + rows + ", " + cols + "] " + t0.dtype());
                }
                out.backend().copy(src, out.select(0, e).narrow(0, part * rows, rows));
            }
        }
        return out;
    }
}
