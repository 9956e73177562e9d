package io.jswift.models.adapter;

import io.jswift.models.decoder.DecoderInput;
import io.jswift.models.CausalLm;
import io.jswift.nn.CausalLmLoss;
import io.jswift.nn.Init;
import io.jswift.nn.Parameter;
import io.jswift.nn.lora.LoraConfig;
import io.jswift.nn.lora.LoraInjector;
import io.jswift.nn.lora.LoraLinear;
import io.jswift.tensor.Generator;
import io.jswift.tensor.Tensor;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static io.jswift.tensor.testing.TensorAssert.relL2;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** LoRA in a training step of a real decoder: dropout with activation checkpointing, save → load round trip. */
class LoraTrainingTest {
    @TempDir
    Path tmp;

    static CausalLm withAdapter(boolean dora, double dropout, Generator gen) throws Exception {
        CausalLm model = AdapterFixtures.load(AdapterFixtures.model("qwen3-f32"));
        LoraInjector.inject(model, new LoraConfig(4, 8, dropout, false, dora, List.of("all-linear")), gen);
        Generator values = new Generator(99);
        for (LoraLinear l : LoraInjector.find(model).values()) {
            Parameter b = l.adapterParameters().get("lora_B.weight");
            b.setValue(Init.normal(values, 0, 0.1, b.shape()));
        }
        return model;
    }

    static Map<String, Tensor> gradients(CausalLm model, Tensor ids, boolean checkpoint) {
        model.zeroGrad();
        CausalLmLoss.apply(model.forward(new DecoderInput(ids, null, null, null, checkpoint)), ids, null).backward();
        Map<String, Tensor> out = new LinkedHashMap<>();
        model.namedParameters().forEach((k, p) -> { if (p.grad() != null) out.put(k, p.grad()); });
        return out;
    }

    /** The recomputed forward must draw the same dropout masks: the generator is rewound (DrawsRandom). */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void checkpointedGradientsEqualPlainOnesWithLoraDropout(boolean dora) throws Exception {
        Generator gen = new Generator(7);
        CausalLm model = withAdapter(dora, 0.3, gen);
        model.train(true);
        Tensor ids = Tensor.ofLongs(new long[]{1, 17, 42, 99, 5, 63, 120, 7}, 1, 8);
        long start = gen.offset();
        Map<String, Tensor> plain = gradients(model, ids, false);
        long used = gen.offset() - start;
        assertTrue(used > 0, "dropout drew masks");
        gen.setOffset(start);
        Map<String, Tensor> checkpointed = gradients(model, ids, true);
        assertEquals(used, gen.offset() - start, "the replay leaves the generator where one forward would");
        assertEquals(plain.keySet(), checkpointed.keySet());
        assertEquals(LoraInjector.find(model).size() * (dora ? 3 : 2), plain.size(), "only adapter tensors get gradients");
        for (String k : plain.keySet()) {
            double err = relL2(checkpointed.get(k), plain.get(k));
            assertTrue(err < 1e-4, k + " rel. L2 " + err); // other masks give errors of order 1
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void savedAdapterLoadsBackToTheSameLogits(boolean dora) throws Exception {
        CausalLm model = withAdapter(dora, 0.1, new Generator(3));
        model.train(false);
        Tensor ids = Tensor.ofLongs(new long[]{1, 17, 42, 99, 5}, 1, 5);
        Tensor before = PeftGoldenTest.logits(model, ids);
        LoraConfig config = LoraInjector.find(model).values().iterator().next().config();
        PeftAdapter.save(tmp.resolve("ckpt"), model, config, "qwen3-f32");
        CausalLm fresh = AdapterFixtures.load(AdapterFixtures.model("qwen3-f32"));
        assertEquals(config, PeftAdapter.load(tmp.resolve("ckpt"), fresh));
        double err = relL2(PeftGoldenTest.logits(fresh, ids), before); // not bitwise: SIMD kernels round differently before and after JIT
        assertTrue(err < 1e-6, "rel. L2 " + err);
        assertTrue(relL2(PeftGoldenTest.logits(AdapterFixtures.load(AdapterFixtures.model("qwen3-f32")), ids), before) > 1e-3,
                "the adapter matters");
    }
}
