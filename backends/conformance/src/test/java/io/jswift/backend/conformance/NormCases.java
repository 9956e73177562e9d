package io.jswift.backend.conformance;

import io.jswift.tensor.DType;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.Backend;
import io.jswift.tensor.spi.FusedReference;
import io.jswift.tensor.spi.FusedResults;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.function.UnaryOperator;

import static io.jswift.backend.conformance.Target.host;
import static io.jswift.tensor.testing.RandomTensors.random;
import static io.jswift.tensor.testing.RandomTensors.uniform;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * RMSNorm and LayerNorm forward and backward against their reference compositions on the CPU: row lengths below, at
 * and above a work group (1, 7, 130, 1000), optional weight / bias, strided rows, mixed parameter dtypes, f32 / bf16 /
 * f16 / f64. Dims: N rows, C channels.
 */
public abstract class NormCases {
    static final int[] ROW_LENGTHS = {1, 7, 130, 1000};
    /** [N, C] rows as the odd columns of [N, 2C]. */
    static final UnaryOperator<Tensor> ODD_COLUMNS = x -> x.slice(1, 1, x.size(1), 2);

    private final Target t;
    private final Backend dev, cpu;

    protected NormCases(Target target) {
        this.t = target;
        this.dev = target.backend();
        this.cpu = target.cpu();
    }

    private Tensor put(Tensor h) { return h == null ? null : t.put(h); }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "BF16", "F16", "F64"})
    void rmsNormAndBackward(DType dt) {
        for (int c : ROW_LENGTHS) {
            for (boolean withWeight : new boolean[]{true, false}) {
                String what = "rmsNorm " + dt + " C=" + c + (withWeight ? " weight" : "");
                Tensor x = random(c, dt, 3, 37, c), dy = random(c + 1, dt, 3, 37, c);
                Tensor w = withWeight ? uniform(c + 2, 0.5, 1.5, dt, c) : null;
                FusedResults.RmsNorm e = FusedReference.rmsNorm(cpu, x, w, 1e-6);
                FusedResults.RmsNorm a = dev.rmsNorm(t.put(x), put(w), 1e-6);
                t.same(what + " y", e.output(), a.output(), Tolerance.accumulated(dt));
                if (dt != DType.F32 && dt != DType.F64 && c > 1) Rounding.mostlyExact(what + " y", e.output(), a.output());
                t.same(what + " rstd", e.rstd(), a.rstd(), Tolerance.accumulated(e.rstd().dtype()));
                FusedResults.NormGrads ge = FusedReference.rmsNormBackward(cpu, dy, x, w, e.rstd());
                FusedResults.NormGrads ga = dev.rmsNormBackward(t.put(dy), t.put(x), put(w), a.rstd());
                t.same(what + " dx", ge.dInput(), ga.dInput(), Tolerance.gradient(dt));
                t.same(what + " dw", ge.dWeight(), ga.dWeight(), Tolerance.accumulated(ge.dWeight() == null ? dt : ge.dWeight().dtype()));
                assertNull(ga.dBias());
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "BF16", "F16", "F64"})
    void layerNormAndBackward(DType dt) {
        for (int c : ROW_LENGTHS) {
            for (int params = 0; params < 4; params++) {
                boolean withWeight = (params & 1) != 0, withBias = (params & 2) != 0;
                String what = "layerNorm " + dt + " C=" + c + (withWeight ? " weight" : "") + (withBias ? " bias" : "");
                Tensor x = random(10 + c, dt, 45, c), dy = random(11 + c, dt, 45, c);
                Tensor w = withWeight ? uniform(12 + c, 0.5, 1.5, dt, c) : null, b = withBias ? random(13 + c, dt, c) : null;
                FusedResults.LayerNorm e = FusedReference.layerNorm(cpu, x, w, b, 1e-5);
                FusedResults.LayerNorm a = dev.layerNorm(t.put(x), put(w), put(b), 1e-5);
                t.same(what + " y", e.output(), a.output(), Tolerance.accumulated(dt));
                t.same(what + " mean", e.mean(), a.mean(), Tolerance.accumulated(e.mean().dtype()));
                t.same(what + " rstd", e.rstd(), a.rstd(), Tolerance.accumulated(e.rstd().dtype()));
                FusedResults.NormGrads ge = FusedReference.layerNormBackward(cpu, dy, x, w, e.mean(), e.rstd(), withBias);
                FusedResults.NormGrads ga = dev.layerNormBackward(t.put(dy), t.put(x), put(w), a.mean(), a.rstd(), withBias);
                t.same(what + " dx", ge.dInput(), ga.dInput(), Tolerance.gradient(dt));
                t.same(what + " dw", ge.dWeight(), ga.dWeight(), Tolerance.accumulated(ge.dWeight() == null ? dt : ge.dWeight().dtype()));
                t.same(what + " db", ge.dBias(), ga.dBias(), Tolerance.accumulated(ge.dBias() == null ? dt : ge.dBias().dtype()));
            }
        }
    }

    @Test
    void stridedRowsAndMixedParameterDtypes() {
        Tensor x = random(20, DType.BF16, 300, 514), dy = random(21, DType.BF16, 300, 514);
        Tensor w = uniform(22, 0.5, 1.5, DType.F32, 257), b = random(23, DType.F32, 257);
        Tensor xs = host(ODD_COLUMNS.apply(x)), dys = host(ODD_COLUMNS.apply(dy));
        Tensor xd = t.put(x, ODD_COLUMNS), dyd = t.put(dy, ODD_COLUMNS);
        // bf16 activations with f32 parameters: outputs promote to f32, dx stays bf16
        FusedResults.RmsNorm re = FusedReference.rmsNorm(cpu, xs, w, 1e-6), ra = dev.rmsNorm(xd, t.put(w), 1e-6);
        t.same("rmsNorm strided y", re.output(), ra.output(), Tolerance.accumulated(DType.BF16));
        FusedResults.NormGrads rge = FusedReference.rmsNormBackward(cpu, dys, xs, w, re.rstd());
        FusedResults.NormGrads rga = dev.rmsNormBackward(dyd, xd, t.put(w), ra.rstd());
        t.same("rmsNorm strided dx", rge.dInput(), rga.dInput(), Tolerance.gradient(DType.BF16));
        t.same("rmsNorm strided dw", rge.dWeight(), rga.dWeight(), Tolerance.of(1e-4));
        FusedResults.LayerNorm le = FusedReference.layerNorm(cpu, xs, w, b, 1e-5), la = dev.layerNorm(xd, t.put(w), t.put(b), 1e-5);
        t.same("layerNorm strided y", le.output(), la.output(), Tolerance.accumulated(DType.BF16));
        FusedResults.NormGrads lge = FusedReference.layerNormBackward(cpu, dys, xs, w, le.mean(), le.rstd(), true);
        FusedResults.NormGrads lga = dev.layerNormBackward(dyd, xd, t.put(w), la.mean(), la.rstd(), true);
        t.same("layerNorm strided dx", lge.dInput(), lga.dInput(), Tolerance.gradient(DType.BF16));
        t.same("layerNorm strided dw", lge.dWeight(), lga.dWeight(), Tolerance.of(1e-4));
        t.same("layerNorm strided db", lge.dBias(), lga.dBias(), Tolerance.of(1e-4));
    }

    @Test
    void rmsNormRoundsF16LikeHfDownToSubnormals() {
        // f16 rows: the normalized value rounds to f16 before the weight multiply, also in the subnormal range
        Tensor x = random(25, DType.F16, 40, 130), w = uniform(26, 0.5, 1.5, DType.F16, 130), dy = random(27, DType.F16, 40, 130);
        for (int i = 0; i < 130; i++) x.setDouble(x.getDouble(0, i) * 1e-3, 0, i);
        FusedResults.RmsNorm e = FusedReference.rmsNorm(cpu, x, w, 1e-6), a = dev.rmsNorm(t.put(x), t.put(w), 1e-6);
        t.same("rmsNorm F16 y", e.output(), a.output(), Tolerance.accumulated(DType.F16));
        Rounding.mostlyExact("rmsNorm F16 y", e.output(), a.output());
        FusedResults.NormGrads ge = FusedReference.rmsNormBackward(cpu, dy, x, w, e.rstd());
        FusedResults.NormGrads ga = dev.rmsNormBackward(t.put(dy), t.put(x), t.put(w), a.rstd());
        t.same("rmsNorm F16 dx", ge.dInput(), ga.dInput(), Tolerance.gradient(DType.F16));
        t.same("rmsNorm F16 dw", ge.dWeight(), ga.dWeight(), Tolerance.of(1e-4));
    }

    @Test
    void badShapesFailClearly() {
        Tensor x = t.put(random(30, DType.F32, 4, 8));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> dev.rmsNorm(x, t.put(random(31, DType.F32, 7)), 1e-6));
        assertTrue(e.getMessage().contains("weight") && e.getMessage().contains("8"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> dev.rmsNormBackward(t.put(random(32, DType.F32, 4, 9)), x, null, t.put(random(33, DType.F32, 4))));
        assertTrue(e.getMessage().contains("dy"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> dev.layerNorm(x, t.put(random(34, DType.F32, 9)), null, 1e-5));
    }
}
