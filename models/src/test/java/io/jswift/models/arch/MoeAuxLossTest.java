package io.jswift.models.arch;

import io.jswift.autograd.Variable;
import io.jswift.autograd.ops.Elementwise;
import io.jswift.autograd.ops.Losses;
import io.jswift.models.CausalLm;
import io.jswift.models.decoder.DecoderInput;
import io.jswift.nn.Parameter;
import io.jswift.nn.moe.LoadBalancingLoss;
import io.jswift.nn.moe.RouterRecord;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.io.SafetensorsFile;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static io.jswift.tensor.testing.TensorAssert.relL2;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The router's load-balancing loss against transformers' load_balancing_loss_func (make_moe_models.py, qwen2-moe-f32:
 * two dense-and-sparse layers' routers, a right-padded second row excluded through attention_mask): the aux loss, the
 * total loss CE + coef · aux, and every weight's gradient of it.
 */
class MoeAuxLossTest {
    @Test
    void auxLossAndGradientsMatchTransformers() throws Exception {
        assertMatchesTransformers("qwen2-moe-f32", 2, "the two sparse layers' routers (layer 1 is dense)");
    }

    /**
     * The fixture's aux_expected.safetensors (written by its family's fixture script from load_balancing_loss_func):
     * {@code routerLayers} routers recorded, the aux loss, CE + coef · aux, and every weight's gradient of that total.
     */
    static void assertMatchesTransformers(String fixture, int routerLayers, String routersWhy) throws Exception {
        CausalLm model = FamilyGoldenTest.load(fixture, true);
        SafetensorsFile exp = SafetensorsFile.open(FamilyGoldenTest.fixture(fixture).resolve("aux_expected.safetensors"));
        Tensor ids = exp.tensor("input_ids"), labels = exp.tensor("labels");
        double[] mask = exp.tensor("attention_mask").toDoubleArray();
        double coef = exp.tensor("aux_coef").item();
        RouterRecord routers = new RouterRecord();
        double items = Losses.countValid(labels.narrow(1, 1, labels.size(1) - 1), Losses.IGNORE_INDEX);
        Variable ce = model.causalLmLoss(DecoderInput.of(ids).recordingRouters(routers), labels, items);
        assertEquals(routerLayers, routers.layers().size(), routersWhy);
        Variable aux = LoadBalancingLoss.apply(routers.layers(), mask);
        assertEquals(exp.tensor("aux_loss").item(), aux.value().item(), 1e-5 * exp.tensor("aux_loss").item(), "aux loss");
        Variable total = Elementwise.add(ce, Elementwise.scale(aux, coef));
        assertEquals(exp.tensor("loss").item(), total.value().item(), 1e-5 * exp.tensor("loss").item(), "CE + coef · aux");
        total.backward();
        for (Map.Entry<String, Parameter> e : model.namedParameters().entrySet()) {
            double err = relL2(e.getValue().grad(), exp.tensor("grad." + e.getKey()));
            assertTrue(err < 1e-4, "grad of " + e.getKey() + " rel. L2 error " + err);
        }
    }

    /** Padding changes the loss: without the mask the padded rows' routing counts too (as transformers without attention_mask). */
    @Test
    void paddingIsExcludedOnlyThroughTheMask() throws Exception {
        CausalLm model = FamilyGoldenTest.load("qwen2-moe-f32", false);
        SafetensorsFile exp = SafetensorsFile.open(FamilyGoldenTest.fixture("qwen2-moe-f32").resolve("aux_expected.safetensors"));
        RouterRecord routers = new RouterRecord();
        model.forward(DecoderInput.of(exp.tensor("input_ids")).recordingRouters(routers));
        double unmasked = LoadBalancingLoss.apply(routers.layers(), null).value().item();
        assertTrue(Math.abs(unmasked - exp.tensor("aux_loss").item()) > 1e-4, "the mask matters in this fixture: " + unmasked);
        assertThrows(IllegalArgumentException.class, () -> LoadBalancingLoss.apply(routers.layers(), new double[3]));
    }

    @Test
    void recordingRoutersWithGradientCheckpointingIsRefused() throws Exception {
        CausalLm model = FamilyGoldenTest.load("qwen2-moe-f32", true);
        Tensor ids = SafetensorsFile.open(FamilyGoldenTest.fixture("qwen2-moe-f32").resolve("expected.safetensors")).tensor("input_ids");
        DecoderInput in = new DecoderInput(ids, null, null, null, true).recordingRouters(new RouterRecord());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> model.forward(in));
        assertTrue(e.getMessage().contains("--gradient_checkpointing false"), e.getMessage());
    }
}
