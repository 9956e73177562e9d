package io.jswift.backend.cpu.fused;

import io.jswift.tensor.DType;
import io.jswift.tensor.Half;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.Backend;
import io.jswift.tensor.spi.FusedResults;
import io.jswift.tensor.testing.NaiveFused;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static io.jswift.backend.cpu.fused.FusedTesting.input;
import static io.jswift.backend.cpu.fused.FusedTesting.tol;
import static io.jswift.tensor.testing.TensorAssert.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** RMSNorm and LayerNorm forward/backward of the CPU kernels and of the reference composition vs NaiveFused. */
class NormKernelsTest {

    @ParameterizedTest(name = "{0} {1} rows={2} c={3} strided={4}")
    @CsvSource({
            "kernels, F32, 1, 1, false", "kernels, F32, 3, 7, true", "kernels, F32, 7, 33, false", "kernels, F32, 2, 1023, true",
            "kernels, F64, 3, 7, false", "kernels, F64, 5, 33, true",
            "reference, F32, 3, 33, true", "reference, F64, 7, 7, false"})
    void rmsNorm(String impl, DType dtype, int rows, int c, boolean strided) {
        Backend b = FusedTesting.backend(impl);
        Tensor x = input(1, dtype, strided, rows, c), w = input(2, dtype, false, c), dy = input(3, dtype, strided, rows, c);
        double[] xs = x.toDoubleArray(), ws = w.toDoubleArray();
        double tol = tol(dtype);
        NaiveFused.Norm want = NaiveFused.rmsNorm(xs, ws, rows, c, 1e-6);
        FusedResults.RmsNorm got = b.rmsNorm(x, w, 1e-6);
        assertEquals(dtype, got.output().dtype());
        assertClose(want.y(), got.output(), tol, tol, "rmsnorm y");
        assertClose(want.rstd(), got.rstd(), tol, tol, "rmsnorm rstd");
        NaiveFused.NormGrads wantG = NaiveFused.rmsNormBackward(dy.toDoubleArray(), xs, ws, rows, c, 1e-6);
        FusedResults.NormGrads g = b.rmsNormBackward(dy, x, w, got.rstd());
        assertClose(wantG.dx(), g.dInput(), tol, tol, "rmsnorm dx");
        assertClose(wantG.dw(), g.dWeight(), tol * 10, tol, "rmsnorm dw");
        FusedResults.NormGrads noWeight = b.rmsNormBackward(dy, x, null, got.rstd());
        assertClose(NaiveFused.rmsNormBackward(dy.toDoubleArray(), xs, null, rows, c, 1e-6).dx(), noWeight.dInput(), tol, tol, "rmsnorm dx, no weight");
        assertEquals(null, noWeight.dWeight());
    }

    /** HF LlamaRMSNorm with bf16 activations: f32 statistics, normalized value cast to bf16, then times the bf16 weight. */
    @ParameterizedTest(name = "{0}")
    @CsvSource({"kernels", "reference"})
    void rmsNormBf16AsHuggingFace(String impl) {
        Backend b = FusedTesting.backend(impl);
        int rows = 5, c = 37;
        Tensor x = input(4, DType.BF16, true, rows, c), w = input(5, DType.BF16, false, c);
        double[] xs = x.toDoubleArray(), ws = w.toDoubleArray(), want = new double[rows * c];
        double[] rstd = NaiveFused.rmsNorm(xs, null, rows, c, 1e-6).rstd();
        for (int r = 0; r < rows; r++) {
            for (int i = 0; i < c; i++) want[r * c + i] = bf16(bf16(xs[r * c + i] * rstd[r]) * ws[i]);
        }
        Tensor y = b.rmsNorm(x, w, 1e-6).output();
        assertEquals(DType.BF16, y.dtype());
        assertClose(want, y, 0, 8e-3, "bf16 rmsnorm (one bf16 ulp)");
    }

    private static double bf16(double v) {
        return Half.bf16ToFloat(Half.floatToBf16((float) v));
    }

    @ParameterizedTest(name = "{0} {1} rows={2} c={3} strided={4} affine={5}")
    @CsvSource({
            "kernels, F32, 1, 1, false, true", "kernels, F32, 3, 7, true, true", "kernels, F32, 7, 33, false, false",
            "kernels, F32, 2, 1023, true, true", "kernels, F64, 3, 7, false, true", "kernels, F64, 5, 33, true, false",
            "reference, F32, 3, 33, true, true", "reference, F64, 7, 7, false, true"})
    void layerNorm(String impl, DType dtype, int rows, int c, boolean strided, boolean affine) {
        Backend b = FusedTesting.backend(impl);
        Tensor x = input(6, dtype, strided, rows, c), dy = input(9, dtype, strided, rows, c);
        Tensor w = affine ? input(7, dtype, false, c) : null, bias = affine ? input(8, dtype, false, c) : null;
        double[] xs = x.toDoubleArray(), ws = affine ? w.toDoubleArray() : null, bs = affine ? bias.toDoubleArray() : null;
        double tol = tol(dtype);
        NaiveFused.Norm want = NaiveFused.layerNorm(xs, ws, bs, rows, c, 1e-5);
        FusedResults.LayerNorm got = b.layerNorm(x, w, bias, 1e-5);
        assertClose(want.y(), got.output(), tol, tol, "layernorm y");
        assertClose(want.mean(), got.mean(), tol, tol, "layernorm mean");
        assertClose(want.rstd(), got.rstd(), tol, tol, "layernorm rstd");
        NaiveFused.NormGrads wantG = NaiveFused.layerNormBackward(dy.toDoubleArray(), xs, ws, affine, rows, c, 1e-5);
        FusedResults.NormGrads g = b.layerNormBackward(dy, x, w, got.mean(), got.rstd(), affine);
        assertClose(wantG.dx(), g.dInput(), tol * 10, tol * 10, "layernorm dx");
        if (affine) {
            assertClose(wantG.dw(), g.dWeight(), tol * 10, tol, "layernorm dw");
            assertClose(wantG.db(), g.dBias(), tol * 10, tol, "layernorm db");
        } else {
            assertEquals(null, g.dWeight());
            assertEquals(null, g.dBias());
        }
    }

    @Test
    void layerNormBf16ComputesInF32AndRoundsOnce() {
        int rows = 3, c = 19;
        Tensor x = input(10, DType.BF16, false, rows, c), w = input(11, DType.BF16, false, c), bias = input(12, DType.BF16, false, c);
        double[] want = NaiveFused.layerNorm(x.toDoubleArray(), w.toDoubleArray(), bias.toDoubleArray(), rows, c, 1e-5).y();
        Tensor y = FusedTesting.KERNELS.layerNorm(x, w, bias, 1e-5).output();
        assertEquals(DType.BF16, y.dtype());
        assertClose(want, y, 1e-2, 4e-3, "bf16 layernorm");
    }
}
