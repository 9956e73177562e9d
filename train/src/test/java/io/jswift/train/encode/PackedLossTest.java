package io.jswift.train.encode;

import io.jswift.autograd.Variable;
import io.jswift.models.CausalLm;
import io.jswift.models.load.LoadedModel;
import io.jswift.models.load.ModelLoader;
import io.jswift.nn.CausalLmLoss;
import io.jswift.nn.Parameter;
import io.jswift.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * On a tiny random Llama (written by transformers), a packed batch gives every sample the loss it has on its
 * own, and the summed loss the same gradients as the unpacked, right-padded batch.
 */
class PackedLossTest {
    private static final int VOCAB = 128;

    private static Encoded sample(Random rng, int length, int prompt) {
        int[] ids = new int[length], labels = new int[length];
        for (int i = 0; i < length; i++) {
            ids[i] = 1 + rng.nextInt(VOCAB - 1);
            labels[i] = i < prompt ? Encoded.IGNORE : ids[i];
        }
        return new Encoded(ids, labels);
    }

    private static CausalLm model() throws Exception {
        LoadedModel loaded = ModelLoader.load(ModelFiles.model("llama-f32"), true);
        CausalLm m = ((LoadedModel.CausalLm) loaded).model();
        m.train(false); // no dropout in this model anyway; eval keeps the comparison exact
        return m;
    }

    /** Summed cross-entropy (numItemsInBatch = 1) of the batch's logits against {@code labels}. */
    private static Variable summed(Variable logits, Tensor labels) {
        return CausalLmLoss.apply(logits, labels, 1.0);
    }

    /** The labels with everything outside segment {@code s} of row {@code r} set to -100. */
    private static Tensor onlySegment(Batch b, int r, int s) {
        long[] labels = b.labels().toLongArray(), segments = b.segmentIds().toLongArray();
        int t = b.width();
        for (int i = 0; i < labels.length; i++) if (i / t != r || segments[i] != s) labels[i] = Encoded.IGNORE;
        return Tensor.ofLongs(labels, b.rows(), t);
    }

    private static Map<String, float[]> grads(CausalLm m) {
        Map<String, float[]> out = new LinkedHashMap<>();
        for (Map.Entry<String, Parameter> e : m.namedParameters().entrySet()) out.put(e.getKey(), e.getValue().grad().toFloatArray());
        return out;
    }

    @Test
    void packedSamplesKeepTheirOwnLossesAndGradients() throws Exception {
        Random rng = new Random(11);
        List<Encoded> samples = List.of(sample(rng, 9, 3), sample(rng, 5, 1), sample(rng, 12, 4), sample(rng, 4, 2), sample(rng, 7, 0));
        CausalLm m = model();

        // each sample alone
        double[] alone = new double[samples.size()];
        for (int k = 0; k < samples.size(); k++) {
            Batch b = Collator.collate(List.of(samples.get(k)));
            alone[k] = summed(m.forward(b.decoderInput(false)), b.labels()).value().item();
        }

        // packed into rows of at most 16 tokens
        int[] lengths = samples.stream().mapToInt(Encoded::length).toArray();
        int[][] bins = Packer.bestFitDecreasing(lengths, 16);
        assertTrue(bins.length < samples.size(), "some samples share a row");
        List<Encoded> rows = new ArrayList<>();
        for (int[] bin : bins) {
            List<Encoded> members = new ArrayList<>();
            for (int k : bin) members.add(samples.get(k));
            rows.add(Packer.pack(members));
        }
        Batch packed = Collator.collate(rows);
        Variable logits = m.forward(packed.decoderInput(false));
        for (int r = 0; r < bins.length; r++) {
            for (int s = 0; s < bins[r].length; s++) {
                double loss = summed(logits, onlySegment(packed, r, s + 1)).value().item();
                int k = bins[r][s];
                assertEquals(alone[k], loss, 1e-4 * Math.abs(alone[k]), "sample " + k + " in packed row " + r);
            }
        }

        // gradients of the summed loss: packed batch vs the same samples right-padded
        Batch padded = Collator.collate(samples);
        assertEquals(padded.targets(), packed.targets());
        m.zeroGrad();
        summed(m.forward(padded.decoderInput(false)), padded.labels()).backward();
        Map<String, float[]> unpackedGrads = grads(m);
        m.zeroGrad();
        summed(m.forward(packed.decoderInput(true)), packed.labels()).backward(); // with checkpointing: same gradients
        Map<String, float[]> packedGrads = grads(m);
        for (String name : unpackedGrads.keySet()) {
            float[] a = unpackedGrads.get(name), b = packedGrads.get(name);
            double scale = 0;
            for (float v : a) scale = Math.max(scale, Math.abs(v));
            assertTrue(scale > 0, name + " has a gradient");
            for (int i = 0; i < a.length; i++) assertEquals(a[i], b[i], 1e-4 * scale + 1e-6, name + "[" + i + "]");
        }
    }

    @Test
    void withoutTheBoundaryMaskTheLastTokenWouldLearnTheNextSample() throws Exception {
        Random rng = new Random(5);
        Encoded a = sample(rng, 6, 0), b = sample(rng, 6, 0);
        CausalLm m = model();
        Batch packed = Collator.collate(List.of(Packer.pack(List.of(a, b))));
        long[] leaky = packed.labels().toLongArray();
        leaky[6] = b.inputIds()[0]; // what concatenating labels without the packer's -100 would give
        double masked = summed(m.forward(packed.decoderInput(false)), packed.labels()).value().item();
        double leaked = summed(m.forward(packed.decoderInput(false)), Tensor.ofLongs(leaky, 1, 12)).value().item();
        assertTrue(leaked > masked, "the extra target adds loss");
        assertEquals(10, packed.targets());
    }
}
