package io.jswift.backend.cpu.fused;

import io.jswift.tensor.DType;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.Backend;
import io.jswift.tensor.spi.FusedResults;
import io.jswift.tensor.testing.NaiveFused;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Random;

import static io.jswift.backend.cpu.fused.FusedTesting.input;
import static io.jswift.backend.cpu.fused.FusedTesting.tol;
import static io.jswift.tensor.testing.TensorAssert.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Softmax, log-softmax and cross-entropy forward/backward of the CPU kernels and the reference vs NaiveFused. */
class SoftmaxCrossEntropyKernelsTest {

    @ParameterizedTest(name = "{0} {1} rows={2} v={3} strided={4}")
    @CsvSource({
            "kernels, F32, 1, 1, false", "kernels, F32, 4, 7, true", "kernels, F32, 3, 33, false", "kernels, F32, 2, 1023, true",
            "kernels, F64, 3, 7, true", "kernels, F64, 2, 33, false",
            "reference, F32, 3, 33, true", "reference, F64, 2, 7, false"})
    void softmaxAndLogSoftmax(String impl, DType dtype, int rows, int v, boolean strided) {
        Backend b = FusedTesting.backend(impl);
        Tensor x = input(1, dtype, strided, rows, v), dy = input(2, dtype, strided, rows, v);
        double[] xs = x.toDoubleArray(), dys = dy.toDoubleArray();
        double tol = tol(dtype);
        Tensor y = b.softmax(x), ly = b.logSoftmax(x);
        assertClose(NaiveFused.softmax(xs, rows, v), y, tol, tol, "softmax");
        assertClose(NaiveFused.logSoftmax(xs, rows, v), ly, tol, tol, "log-softmax");
        assertClose(NaiveFused.softmaxBackward(dys, y.toDoubleArray(), rows, v), b.softmaxBackward(dy, y), tol, tol, "softmax backward");
        assertClose(NaiveFused.logSoftmaxBackward(dys, ly.toDoubleArray(), rows, v), b.logSoftmaxBackward(dy, ly), tol, tol, "log-softmax backward");
    }

    /** Targets uniform over the vocabulary, every third row ignored (-100, HF's default). */
    private static long[] targets(long seed, int n, int v) {
        Random r = new Random(seed);
        long[] t = new long[n];
        for (int i = 0; i < n; i++) t[i] = i % 3 == 1 ? -100 : r.nextInt(v);
        return t;
    }

    @ParameterizedTest(name = "{0} logits {1} targets {2} n={3} v={4}")
    @CsvSource({
            "kernels, F32, I64, 1, 1", "kernels, F32, I64, 7, 151", "kernels, F32, I32, 5, 1031", "kernels, F64, I64, 7, 33",
            "kernels, BF16, I64, 6, 257", "kernels, F16, I32, 4, 65",
            "reference, F32, I64, 7, 151", "reference, F64, I32, 5, 33", "reference, BF16, I64, 4, 65"})
    void crossEntropy(String impl, DType dtype, DType targetType, int n, int v) {
        Backend b = FusedTesting.backend(impl);
        Tensor logits = input(3, dtype, false, n, v), dl = input(4, dtype == DType.F64 ? DType.F64 : DType.F32, false, n);
        long[] t = targets(5, n, v);
        Tensor targets = targetType == DType.I64 ? Tensor.ofLongs(t, n) : Tensor.ofLongs(t, n).to(DType.I32);
        double[] xs = logits.toDoubleArray();
        boolean half = dtype == DType.BF16 || dtype == DType.F16;
        double tol = half ? 1e-5 : tol(dtype);  // statistics of 16-bit logits still accumulate in f32
        NaiveFused.CrossEntropy want = NaiveFused.crossEntropy(xs, t, -100, n, v);
        FusedResults.CrossEntropy got = b.crossEntropy(logits, targets, -100);
        assertClose(want.losses(), got.losses(), tol, tol, "losses");
        assertClose(want.lse(), got.logSumExp(), tol, tol, "log-sum-exp");
        if (n > 1) assertEquals(0.0, got.losses().getDouble(1), "ignored row");
        Tensor d = b.crossEntropyBackward(dl, logits, targets, got.logSumExp(), -100);
        assertEquals(dtype, d.dtype());
        double dTol = half ? 8e-3 : tol;
        assertClose(NaiveFused.crossEntropyBackward(dl.toDoubleArray(), xs, t, -100, n, v), d, dTol, dTol, "dlogits");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"kernels", "reference"})
    void outOfRangeTargetNamesRowAndValue(String impl) {
        Backend b = FusedTesting.backend(impl);
        Tensor logits = input(6, DType.F32, false, 4, 10);
        IndexOutOfBoundsException high = assertThrows(IndexOutOfBoundsException.class,
                () -> b.crossEntropy(logits, Tensor.ofLongs(new long[]{0, -100, 10, 1}, 4), -100));
        assertTrue(high.getMessage().contains("target 10 at row 2"), high.getMessage());
        IndexOutOfBoundsException negative = assertThrows(IndexOutOfBoundsException.class,
                () -> b.crossEntropy(logits, Tensor.ofLongs(new long[]{0, -1, 3, 1}, 4), -100));
        assertTrue(negative.getMessage().contains("target -1 at row 1"), negative.getMessage());
    }
}
