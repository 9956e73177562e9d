package io.jswift.models.adapter;

import io.jswift.models.CausalLm;
import io.jswift.models.load.ModelWriter;
import io.jswift.nn.Init;
import io.jswift.nn.Parameter;
import io.jswift.nn.lora.LoraConfig;
import io.jswift.nn.lora.LoraInjector;
import io.jswift.nn.lora.LoraLinear;
import io.jswift.nn.lora.LoraMerge;
import io.jswift.tensor.DType;
import io.jswift.tensor.Generator;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.BinaryOp;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * The adapters and merged exports jswift writes for the interop fixtures (adapters/jswift-*): tools/fixtures/
 * make_peft_adapters.py has PEFT and transformers load them and records their logits. The values are seeded, so
 * writing them again gives the same files (JswiftFixturesTest checks that against the committed ones).
 */
final class JswiftFixtures {
    record AdapterSpec(String name, String base, LoraConfig config, long seed) {}

    record ExportSpec(String name, String adapter, DType dtype) {}

    static final List<AdapterSpec> ADAPTERS = List.of(
            new AdapterSpec("jswift-lora-qwen3", "qwen3-f32", new LoraConfig(4, 16, 0.05, true, false,
                    List.of("q_proj", "v_proj", "o_proj", "down_proj")), 21),
            new AdapterSpec("jswift-dora-llama", "llama-f32", new LoraConfig(4, 8, 0, false, true, List.of("all-linear")), 22),
            new AdapterSpec("jswift-lora-qwen3-bf16", "qwen3-bf16", new LoraConfig(2, 4, 0, false, false, List.of("all-linear")), 23));

    static final List<ExportSpec> EXPORTS = List.of(
            new ExportSpec("jswift-merged-dora-llama", "jswift-dora-llama", DType.F32),
            new ExportSpec("jswift-merged-lora-qwen3-bf16", "jswift-lora-qwen3-bf16", DType.BF16));

    private JswiftFixtures() {}

    static AdapterSpec adapterSpec(String name) {
        return ADAPTERS.stream().filter(a -> a.name().equals(name)).findFirst().orElseThrow();
    }

    /** Injects the adapter with its seed and gives it trained-looking values: B ~ N(0, 0.1²), DoRA m·(1 + 0.2·N(0, 1)). */
    static void writeAdapter(AdapterSpec spec, Path out) throws IOException {
        CausalLm model = AdapterFixtures.load(AdapterFixtures.model(spec.base()));
        Generator gen = new Generator(spec.seed());
        LoraInjector.inject(model, spec.config(), gen);
        for (LoraLinear l : LoraInjector.find(model).values()) {
            Parameter b = l.adapterParameters().get("lora_B.weight");
            b.setValue(Init.normal(gen, 0, 0.1, b.shape()));
            Parameter m = l.adapterParameters().get("lora_magnitude_vector");
            if (m != null) {
                Tensor factor = Init.normal(gen, 1, 0.2, m.shape());
                m.setValue(m.value().backend().binary(BinaryOp.MUL, m.value(), factor));
            }
        }
        PeftAdapter.save(out, model, spec.config(), spec.base());
    }

    /** What `jswift export --merge_lora true` writes: base + adapter, merged, saved as {@code spec.dtype()}. */
    static void writeExport(ExportSpec spec, Path adapterDir, Path out) throws IOException {
        String base = adapterSpec(spec.adapter()).base();
        CausalLm model = AdapterFixtures.load(AdapterFixtures.model(base));
        PeftAdapter.load(adapterDir, model);
        LoraMerge.mergeAndUnload(model);
        ModelWriter.write(out, AdapterFixtures.model(base), model, spec.dtype());
    }
}
