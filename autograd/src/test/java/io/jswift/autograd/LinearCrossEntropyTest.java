package io.jswift.autograd;

import io.jswift.autograd.ops.LinearAlgebra;
import io.jswift.autograd.ops.Losses;
import io.jswift.tensor.DType;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.io.SafetensorsFile;
import io.jswift.tensor.io.SafetensorsWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The chunked linear cross-entropy against linear + crossEntropy, in f32 (the training dtype). */
class LinearCrossEntropyTest {
    @TempDir
    Path dir;

    private static Tensor randF32(long seed, int... shape) {
        Random r = new Random(seed);
        int n = 1;
        for (int d : shape) n *= d;
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) r.nextGaussian();
        return Tensor.of(v, shape);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 3, 7, 256})
    void equalsTheMaterializedLogits(int chunkRows) {
        int n = 7, h = 16, v = 50;
        Tensor x = randF32(1, n, h), w = randF32(2, v, h);
        Tensor targets = Tensor.ofLongs(new long[]{3, -100, 49, 0, 17, -100, 8}, n);
        Variable a = Variable.leaf(x, true), b = Variable.leaf(x.copy(), true);
        Variable fused = Losses.linearCrossEntropy(a, Variable.constant(w), targets, Losses.IGNORE_INDEX, 5.0, chunkRows);
        Variable plain = Losses.crossEntropy(LinearAlgebra.linear(b, Variable.constant(w), null), targets, Losses.IGNORE_INDEX, 5.0);
        assertEquals(plain.value().item(), fused.value().item(), 1e-5 * Math.abs(plain.value().item()));
        fused.backward();
        plain.backward();
        float[] ga = a.grad().toFloatArray(), gb = b.grad().toFloatArray();
        for (int i = 0; i < ga.length; i++) assertEquals(gb[i], ga[i], 1e-6 + 1e-5 * Math.abs(gb[i]), "grad element " + i);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 3, 256})
    void aTrainableWeightGetsTheGradientOfTheMaterializedLogits(int chunkRows) {
        int n = 7, h = 16, v = 50;
        Tensor x = randF32(3, n, h), w = randF32(4, v, h);
        Tensor targets = Tensor.ofLongs(new long[]{3, -100, 49, 0, 17, -100, 8}, n);
        Variable xa = Variable.leaf(x, true), wa = Variable.leaf(w, true), xb = Variable.leaf(x.copy(), true), wb = Variable.leaf(w.copy(), true);
        Variable fused = Losses.linearCrossEntropy(xa, wa, targets, Losses.IGNORE_INDEX, 5.0, chunkRows);
        Variable plain = Losses.crossEntropy(LinearAlgebra.linear(xb, wb, null), targets, Losses.IGNORE_INDEX, 5.0);
        assertEquals(plain.value().item(), fused.value().item(), 1e-5 * Math.abs(plain.value().item()));
        fused.backward();
        plain.backward();
        assertClose(xb.grad(), xa.grad(), "dhidden");
        assertClose(wb.grad(), wa.grad(), "dweight");
    }

    /** rows per chunk, weight rows per vocabulary slice (50 = the whole vocabulary, 1 = a slice per token). */
    static Stream<Arguments> chunksAndSlices() {
        return Stream.of(Arguments.of(256, 7), Arguments.of(3, 7), Arguments.of(3, 1), Arguments.of(7, 16), Arguments.of(2, 49),
                Arguments.of(1, 25), Arguments.of(256, 50));
    }

    @ParameterizedTest
    @MethodSource("chunksAndSlices")
    void vocabularySlicesEqualTheMaterializedLogits(int chunkRows, int sliceRows) {
        // targets in the first, a middle and the last slice, two ignored rows, one row of a target at a slice's edge
        int n = 7, h = 16, v = 50;
        Tensor x = randF32(11, n, h), w = randF32(12, v, h);
        Tensor targets = Tensor.ofLongs(new long[]{3, -100, 49, 0, 17, -100, 48}, n);
        Variable a = Variable.leaf(x, true), b = Variable.leaf(x.copy(), true);
        Variable sliced = Losses.linearCrossEntropy(a, Variable.constant(w), targets, Losses.IGNORE_INDEX, 5.0, chunkRows, sliceRows);
        Variable plain = Losses.crossEntropy(LinearAlgebra.linear(b, Variable.constant(w), null), targets, Losses.IGNORE_INDEX, 5.0);
        assertEquals(plain.value().item(), sliced.value().item(), 1e-5 * Math.abs(plain.value().item()));
        sliced.backward();
        plain.backward();
        assertClose(b.grad(), a.grad(), "dhidden");
        Variable xa = Variable.leaf(x.copy(), true), wa = Variable.leaf(w.copy(), true), xb = Variable.leaf(x.copy(), true), wb = Variable.leaf(w.copy(), true);
        Variable trainable = Losses.linearCrossEntropy(xa, wa, targets, Losses.IGNORE_INDEX, 5.0, chunkRows, sliceRows);
        Variable reference = Losses.crossEntropy(LinearAlgebra.linear(xb, wb, null), targets, Losses.IGNORE_INDEX, 5.0);
        assertEquals(reference.value().item(), trainable.value().item(), 1e-5 * Math.abs(reference.value().item()));
        trainable.backward();
        reference.backward();
        assertClose(xb.grad(), xa.grad(), "dhidden, trainable head");
        assertClose(wb.grad(), wa.grad(), "dweight");
    }

    @Test
    void aMemoryMappedBf16HeadInSlicesGivesTheWholeVocabularysLossAndGradient() throws IOException {
        // QLoRA's frozen lm_head: a bf16 checkpoint tensor whose pages are dropped after each slice is used; the values
        // read again must be the same, so slices of 6 rows give the whole-vocabulary op's loss and dh
        int n = 9, h = 24, v = 40;
        Tensor w = randF32(21, v, h).to(DType.BF16), x = randF32(22, n, h);
        Path file = dir.resolve("head.safetensors");
        SafetensorsWriter.write(file, Map.of("lm_head.weight", w), Map.of());
        Tensor mapped = SafetensorsFile.open(file).tensor("lm_head.weight");
        Tensor targets = Tensor.ofLongs(new long[]{0, 5, 6, 39, -100, 11, 12, 35, 30}, n);
        Variable a = Variable.leaf(x, true), b = Variable.leaf(x.copy(), true);
        Variable sliced = Losses.linearCrossEntropy(a, Variable.constant(mapped), targets, Losses.IGNORE_INDEX, 8.0, 4, 6);
        Variable whole = Losses.linearCrossEntropy(b, Variable.constant(w), targets, Losses.IGNORE_INDEX, 8.0, 4, v);
        assertEquals(whole.value().item(), sliced.value().item(), 1e-6 * Math.abs(whole.value().item()));
        sliced.backward();
        whole.backward();
        assertClose(b.grad(), a.grad(), "dhidden");
        assertArrayEquals(w.toFloatArray(), mapped.toFloatArray(), "the mapped head after its pages were dropped");
    }

    @Test
    void aTiedWeightAddsBothGradientsAndTheGraphCanBeRetained() {
        // the weight is both the embedding table and the head (tied embeddings): two gradients meet in one leaf,
        // the second added in place into the first, which the fused op handed over; backward twice doubles them
        int n = 5, h = 8, v = 12;
        Tensor w = randF32(7, v, h);
        Tensor ids = Tensor.ofLongs(new long[]{1, 4, 4, 9, 0}, n), targets = Tensor.ofLongs(new long[]{4, 4, 9, 0, -100}, n);
        Variable wa = Variable.leaf(w, true), wb = Variable.leaf(w.copy(), true);
        Variable fused = Losses.linearCrossEntropy(io.jswift.autograd.ops.Views.embedding(wa, ids), wa, targets, Losses.IGNORE_INDEX, 4.0, 2);
        Variable plain = Losses.crossEntropy(LinearAlgebra.linear(io.jswift.autograd.ops.Views.embedding(wb, ids), wb, null), targets, Losses.IGNORE_INDEX, 4.0);
        fused.backward(Tensor.scalar(io.jswift.tensor.DType.F32, 1.0), true);
        plain.backward(Tensor.scalar(io.jswift.tensor.DType.F32, 1.0), true);
        assertClose(wb.grad(), wa.grad(), "tied weight");
        fused.backward(Tensor.scalar(io.jswift.tensor.DType.F32, 1.0), true);
        plain.backward(Tensor.scalar(io.jswift.tensor.DType.F32, 1.0), true);
        assertClose(wb.grad(), wa.grad(), "tied weight after a second backward through the retained graph");
        fused.backward(Tensor.scalar(io.jswift.tensor.DType.F32, 0.5), false);
        plain.backward(Tensor.scalar(io.jswift.tensor.DType.F32, 0.5), false);
        assertClose(wb.grad(), wa.grad(), "tied weight after a scaled third backward");
    }

    private static void assertClose(Tensor expected, Tensor actual, String what) {
        float[] e = expected.toFloatArray(), a = actual.toFloatArray();
        assertEquals(e.length, a.length, what);
        for (int i = 0; i < e.length; i++) assertEquals(e[i], a[i], 1e-6 + 1e-5 * Math.abs(e[i]), what + " element " + i);
    }

    @Test
    void noGradientIsKeptWithoutGradMode() {
        Tensor x = randF32(5, 4, 8), w = randF32(6, 10, 8);
        Variable loss = Losses.linearCrossEntropy(Variable.leaf(x, false), Variable.constant(w), Tensor.ofLongs(new long[]{1, 2, 3, 4}, 4),
                Losses.IGNORE_INDEX, 4.0, 3);
        assertFalse(loss.requiresGrad());
    }

    @Test
    void mismatchedShapesSayWhich() {
        Tensor x = randF32(5, 4, 8), w = randF32(6, 10, 9);
        var e = assertThrows(IllegalArgumentException.class, () -> Losses.linearCrossEntropy(Variable.leaf(x, true),
                Variable.constant(w), Tensor.ofLongs(new long[]{1, 2, 3, 4}, 4), Losses.IGNORE_INDEX, 4.0));
        assertTrue(e.getMessage().contains("[4, 8]") && e.getMessage().contains("[10, 9]"), e.getMessage());
    }
}
