package io.jswift.train.run;

import io.jswift.autograd.Variable;
import io.jswift.autograd.ops.Elementwise;
import io.jswift.models.CausalLm;
import io.jswift.models.decoder.DecoderInput;
import io.jswift.nn.moe.LoadBalancingLoss;
import io.jswift.nn.moe.RouterRecord;
import io.jswift.train.encode.Batch;
import io.jswift.train.encode.Collator;
import io.jswift.train.encode.Encoded;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * {@code pt} and {@code sft}: HF's causal-LM loss. Every micro-batch's summed loss is divided by the target count
 * of the whole accumulated batch (HF's num_items_in_batch), so k micro-batches equal one batch of k rows;
 * evaluation is the mean loss per target token.
 *
 * <p>MoE models with {@code --router_aux_loss_coef} > 0: each micro-batch adds coef · the router load-balancing loss of
 * its tokens (padding excluded, as the attention_mask does in transformers), logged as {@code aux_loss}. That is what
 * ms-swift's trainer makes the model compute: it sets the model's router_aux_loss_coef to the flag (default 0, so a
 * config.json's own coefficient never applies) and output_router_logits when the flag is > 0; the model then adds
 * coef · aux to each micro-batch's loss as it is, not divided by the accumulation steps. A dense model, and a MoE model
 * whose transformers class computes no such loss (GLM-4.5, DeepSeek-V2/V3), ignores the flag, as ms-swift then silently
 * does; here a one-line warning says so. Evaluation reports the language-model loss alone.
 */
public final class CausalLmObjective implements Objective<Encoded> {
    private final CausalLm model;
    private final boolean gradientCheckpointing;
    private final double routerAuxLossCoef; // 0 unless the model has experts

    public CausalLmObjective(CausalLm model, boolean gradientCheckpointing) {
        this(model, gradientCheckpointing, 0);
    }

    public CausalLmObjective(CausalLm model, boolean gradientCheckpointing, double routerAuxLossCoef) {
        this(model, gradientCheckpointing, routerAuxLossCoef, w -> {});
    }

    /** {@code warnings}: told once, in one line, when {@code routerAuxLossCoef} > 0 has no effect on this model. */
    public CausalLmObjective(CausalLm model, boolean gradientCheckpointing, double routerAuxLossCoef, Consumer<String> warnings) {
        this.model = model;
        this.gradientCheckpointing = gradientCheckpointing;
        boolean applies = model.config().moe() != null && model.config().moe().hasLoadBalancingLoss();
        this.routerAuxLossCoef = applies ? routerAuxLossCoef : 0;
        if (routerAuxLossCoef > 0 && !applies) warnings.accept(ignoredAuxLoss(model.config().architecture(), model.config().moe() != null, routerAuxLossCoef));
        if (this.routerAuxLossCoef > 0 && gradientCheckpointing) {
            // the recomputed layers run in backward: their router outputs would come too late for the loss
            throw new IllegalArgumentException("--router_aux_loss_coef > 0 cannot be combined with --gradient_checkpointing on a MoE model: "
                    + "set one of them off");
        }
    }

    /** The one-line notice that the flag changes nothing: no experts, or a MoE class without transformers' aux loss. */
    static String ignoredAuxLoss(String architecture, boolean moe, double coef) {
        return "--router_aux_loss_coef " + coef + " has no effect on " + architecture + ": "
                + (moe ? "transformers computes no router load-balancing loss for it (its router balances through e_score_correction_bias or not at all)"
                : "it has no experts");
    }

    @Override
    public double normalizer(List<List<Encoded>> microBatches) {
        long targets = 0;
        for (List<Encoded> rows : microBatches) for (Encoded e : rows) targets += e.targets();
        return Math.max(1, targets);
    }

    @Override
    public Step forward(List<Encoded> rows, double normalizer) {
        Batch batch = Collator.collate(rows).to(model.device()); // collated on the host, then sent where the model is
        DecoderInput in = batch.decoderInput(gradientCheckpointing);
        if (routerAuxLossCoef == 0) return new Step(model.causalLmLoss(in, batch.images(), batch.labels(), normalizer), batch.tokens(), Map.of());
        RouterRecord routers = new RouterRecord();
        Variable lm = model.causalLmLoss(in.recordingRouters(routers), batch.images(), batch.labels(), normalizer);
        Variable aux = LoadBalancingLoss.apply(routers.layers(), tokenMask(rows, batch.width()));
        return new Step(Elementwise.add(lm, Elementwise.scale(aux, routerAuxLossCoef)), batch.tokens(), Map.of("aux_loss", aux.value().item()));
    }

    /** [B·T]: 1 for each row's real tokens, 0 for the right padding Collator adds (transformers' attention_mask). */
    private static double[] tokenMask(List<Encoded> rows, int width) {
        double[] mask = new double[rows.size() * width];
        for (int r = 0; r < rows.size(); r++) Arrays.fill(mask, r * width, r * width + rows.get(r).length(), 1);
        return mask;
    }

    @Override
    public Evaluation evaluate(List<Encoded> rows) {
        Batch batch = Collator.collate(rows);
        if (batch.targets() == 0) return new Evaluation(0, 0, Map.of());
        batch = batch.to(model.device());
        double sum = model.causalLmLoss(batch.decoderInput(false), batch.images(), batch.labels(), 1.0).value().item();
        return new Evaluation(sum, batch.targets(), Map.of());
    }
}
