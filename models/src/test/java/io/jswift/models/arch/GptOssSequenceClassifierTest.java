package io.jswift.models.arch;

import io.jswift.autograd.ops.Losses;
import io.jswift.models.decoder.DecoderClassifier;
import io.jswift.models.decoder.DecoderInput;
import io.jswift.models.load.LoadedModel;
import io.jswift.models.load.ModelLoader;
import io.jswift.nn.Parameter;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.io.SafetensorsFile;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Map;

import static io.jswift.tensor.testing.TensorAssert.relL2;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * GptOssForSequenceClassification (tools/fixtures/gpt_oss_seqcls_fixtures.py): the tiny GPT-OSS decoder with
 * transformers' score head, a right-padded batch scored at each row's last non-pad token; logits, the cross-entropy loss
 * and the gradients of the head and of fused experts equal transformers'.
 */
class GptOssSequenceClassifierTest {
    @Test
    void logitsLossAndGradientsEqualTransformers() throws Exception {
        Path dir = FamilyGoldenTest.fixture("gpt-oss-seqcls-f32");
        LoadedModel loaded = ModelLoader.load(dir, true);
        DecoderClassifier model = ((LoadedModel.SequenceClassifier) loaded).model();
        assertEquals(3, model.numLabels());
        assertEquals(0, model.padTokenId());
        SafetensorsFile exp = SafetensorsFile.open(dir.resolve("expected.safetensors"));
        Tensor ids = exp.tensor("input_ids");
        var logits = model.forward(DecoderInput.of(ids));
        double err = relL2(logits.value(), exp.tensor("logits"));
        assertTrue(err < 1e-4, "logits rel. L2 error " + err);
        var loss = Losses.crossEntropy(logits, exp.tensor("labels"), -100);
        assertEquals(exp.tensor("loss").item(), loss.value().item(), 1e-5 * exp.tensor("loss").item(), "loss");
        loss.backward();
        Map<String, Parameter> params = model.namedParameters();
        for (String key : exp.names()) {
            if (!key.startsWith("grad.")) continue;
            double g = relL2(params.get(key.substring("grad.".length())).grad(), exp.tensor(key));
            assertTrue(g < 1e-4, key + " rel. L2 error " + g);
        }
    }
}
