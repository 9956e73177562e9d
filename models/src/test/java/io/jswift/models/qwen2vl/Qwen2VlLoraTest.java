package io.jswift.models.qwen2vl;

import static io.jswift.tensor.testing.TensorAssert.relL2;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jswift.autograd.Variable;
import io.jswift.models.adapter.PeftAdapter;
import io.jswift.models.decoder.DecoderInput;
import io.jswift.models.vision.Qwen2VlPrompts;
import io.jswift.models.vision.VisionInput;
import io.jswift.nn.Parameter;
import io.jswift.nn.lora.LoraConfig;
import io.jswift.nn.lora.LoraInjector;
import io.jswift.tensor.Generator;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.io.SafetensorsFile;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * LoRA on the language model of Qwen2-VL / Qwen2.5-VL with images in the input, against PEFT + torch autograd
 * (tools/fixtures/qwen2vl_model_fixtures.py, lora/): a PEFT adapter loads onto transformers 5's module names, logits,
 * loss (image tokens ignored), every adapter gradient through the frozen vision tower, and one SGD step; the language
 * model's linear layers are the ones ms-swift's all-linear adapts, and a saved adapter has PEFT's keys.
 */
class Qwen2VlLoraTest {
    private static final double SGD_LR = 0.05;

    @TempDir
    Path tmp;

    @ParameterizedTest
    @CsvSource({"qwen2-vl-f32", "qwen2_5-vl-f32"})
    void loraStepWithImagesMatchesPeft(String name) throws Exception {
        Path dir = Qwen2VlGoldenTest.fixture(name);
        Qwen2VlForConditionalGeneration model = Qwen2VlGoldenTest.load(name);
        List<String> languageModelLinears = model.languageModelLinears();
        PeftAdapter.load(dir.resolve("lora"), model);
        assertEquals(new TreeSet<>(languageModelLinears), new TreeSet<>(LoraInjector.find(model).keySet()));
        SafetensorsFile exp = SafetensorsFile.open(dir.resolve("lora/expected.safetensors"));
        VisionInput images = prompt(dir).images();
        Tensor ids = exp.tensor("input_ids"), labels = exp.tensor("labels");
        Variable logits = model.forward(DecoderInput.of(ids), images, 0);
        assertTrue(relL2(logits.value(), exp.tensor("logits")) < 1e-4, "LoRA logits");
        Variable loss = model.causalLmLoss(DecoderInput.of(ids), images, labels, targets(labels));
        assertEquals(exp.tensor("loss").item(), loss.value().item(), 1e-5 * exp.tensor("loss").item(), "loss");
        loss.backward();
        List<Parameter> adapter = new ArrayList<>();
        for (var e : LoraInjector.find(model).entrySet()) {
            for (var p : e.getValue().adapterParameters().entrySet()) {
                String key = "grad.base_model.model." + e.getKey() + "." + p.getKey();
                double g = relL2(p.getValue().grad(), exp.tensor(key));
                assertTrue(g < 1e-4, key + " rel. L2 error " + g);
                adapter.add(p.getValue());
            }
        }
        assertEquals(exp.names().stream().filter(n -> n.startsWith("grad.")).count(), adapter.size(), "every adapter gradient PEFT recorded");
        for (var e : model.namedParameters().entrySet()) {
            if (e.getKey().startsWith("model.visual.")) assertNull(e.getValue().grad(), e.getKey() + " stays frozen");
        }
        for (Parameter p : adapter) {
            Tensor w = p.value();
            double[] v = w.toDoubleArray(), g = p.grad().toDoubleArray();
            for (int i = 0; i < v.length; i++) v[i] -= SGD_LR * g[i];
            w.backend().copy(Tensor.of(v, w.shape()).to(w.dtype()), w);
        }
        double after = model.causalLmLoss(DecoderInput.of(ids), images, labels, targets(labels)).value().item();
        assertEquals(exp.tensor("loss_after_sgd").item(), after, 1e-5 * after, "loss after one SGD step");
    }

    /** A new adapter on the language model's linears saves under the keys PEFT wrote for the same modules. */
    @ParameterizedTest
    @CsvSource({"qwen2-vl-f32", "qwen2_5-vl-f32"})
    void savedAdapterKeysAreThePeftOnes(String name) throws Exception {
        Path dir = Qwen2VlGoldenTest.fixture(name);
        Qwen2VlForConditionalGeneration model = Qwen2VlGoldenTest.load(name);
        LoraConfig config = new LoraConfig(4, 8, 0, false, false, model.languageModelLinears());
        LoraInjector.inject(model, config, new Generator(1));
        PeftAdapter.save(tmp, model, config, name);
        TreeSet<String> ours = new TreeSet<>(SafetensorsFile.open(tmp.resolve(PeftAdapter.WEIGHTS)).names());
        TreeSet<String> peft = new TreeSet<>(SafetensorsFile.open(dir.resolve("lora/" + PeftAdapter.WEIGHTS)).names());
        assertEquals(peft, ours);
    }

    private static Qwen2VlPrompts.Encoded prompt(Path dir) throws Exception {
        List<List<Map<String, Object>>> chats = new ObjectMapper().readValue(dir.resolve("chat_messages.json").toFile(), new TypeReference<>() {});
        return Qwen2VlPrompts.fromDirectory(dir).encode(chats.get(0), true, null, dir);
    }

    /** Labels that carry loss after HF's shift (its num_items_in_batch for one row). */
    private static double targets(Tensor labels) {
        long[] l = labels.toLongArray();
        int n = 0;
        for (int j = 1; j < l.length; j++) if (l[j] != -100) n++;
        return n;
    }
}
