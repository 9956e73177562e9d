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

import static io.jswift.backend.conformance.NormCases.ODD_COLUMNS;
import static io.jswift.backend.conformance.NormCases.ROW_LENGTHS;
import static io.jswift.backend.conformance.Target.host;
import static io.jswift.tensor.testing.RandomTensors.random;
import static io.jswift.tensor.testing.RandomTensors.uniform;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * RoPE, SwiGLU (silu_mul), softmax and log-softmax forward and backward against their reference compositions on the
 * CPU: partial rotary and batched tables, q/k as transposed views, fused gate_up halves, masked scores and fully
 * masked rows. Dims: B batch, H heads, T positions, D head dim, R rotary dims, N rows, V row length.
 */
public abstract class ActivationCases {
    private final Target t;
    private final Backend dev, cpu;

    protected ActivationCases(Target target) {
        this.t = target;
        this.dev = target.backend();
        this.cpu = target.cpu();
    }

    // ------------------------------------------------------------------ RoPE

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "BF16", "F16", "F64"})
    void ropeAndBackward(DType dt) {
        int b = 2, h = 3, tt = 5, d = 12;
        UnaryOperator<Tensor> asProjected = x -> x.permute(0, 2, 1, 3); // [B, T, H, D] -> [B, H, T, D], as q/k are produced
        for (int r : new int[]{12, 8, 2}) {
            for (boolean batched : new boolean[]{false, true}) {
                String what = "rope " + dt + " R=" + r + (batched ? " [B,T,R]" : " [T,R]");
                Tensor xh = random(40 + r, dt, b, tt, h, d), dy = random(41 + r, dt, b, h, tt, d);
                int[] table = batched ? new int[]{b, tt, r} : new int[]{tt, r};
                Tensor cos = uniform(42 + r, -1, 1, DType.F32, table), sin = uniform(43 + r, -1, 1, DType.F32, table);
                t.same(what, FusedReference.rope(cpu, host(asProjected.apply(xh)), cos, sin),
                        dev.rope(t.put(xh, asProjected), t.put(cos), t.put(sin)), Tolerance.accumulated(dt));
                t.same(what + " backward", FusedReference.ropeBackward(cpu, dy, cos, sin),
                        dev.ropeBackward(t.put(dy), t.put(cos), t.put(sin)), Tolerance.accumulated(dt));
            }
        }
    }

    @Test
    void ropeRejectsMismatchedTables() {
        Tensor x = t.put(random(50, DType.F32, 1, 2, 4, 8));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> dev.rope(x, t.put(random(51, DType.F32, 4, 10)), t.put(random(52, DType.F32, 4, 10))));
        assertTrue(e.getMessage().contains("R <= D"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> dev.rope(x, t.put(random(53, DType.F32, 3, 8)), t.put(random(54, DType.F32, 3, 8))));
        assertThrows(IllegalArgumentException.class, () -> dev.rope(x, t.put(random(55, DType.F32, 4, 7)), t.put(random(56, DType.F32, 4, 7))));
    }

    // ------------------------------------------------------------------ SwiGLU

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "BF16", "F16", "F64"})
    void siluMulAndBackward(DType dt) {
        // gate and up as the two halves of a fused gate_up projection [N, 2F]: strided views
        UnaryOperator<Tensor> gate = x -> x.narrow(1, 0, 131), up = x -> x.narrow(1, 131, 131);
        Tensor gu = random(60, dt, 33, 2 * 131), dy = random(61, dt, 33, 131);
        Tensor g = host(gate.apply(gu)), u = host(up.apply(gu));
        Tensor guD = t.put(gu), gD = gate.apply(guD), uD = up.apply(guD);
        t.same("siluMul " + dt, FusedReference.siluMul(cpu, g, u), dev.siluMul(gD, uD), Tolerance.accumulated(dt));
        FusedResults.SiluMulGrads e = FusedReference.siluMulBackward(cpu, dy, g, u), a = dev.siluMulBackward(t.put(dy), gD, uD);
        t.same("siluMul " + dt + " dGate", e.dGate(), a.dGate(), Tolerance.gradient(dt));
        t.same("siluMul " + dt + " dUp", e.dUp(), a.dUp(), Tolerance.gradient(dt));
        assertThrows(IllegalArgumentException.class, () -> dev.siluMul(gD, t.put(random(62, dt, 33, 130))));
    }

    // ------------------------------------------------------------------ softmax / log-softmax

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "BF16", "F16", "F64"})
    void softmaxAndLogSoftmax(DType dt) {
        for (int v : ROW_LENGTHS) {
            Tensor x = random(70 + v, dt, 41, v), dy = random(71 + v, dt, 41, v);
            x.setDouble(Double.NEGATIVE_INFINITY, 3, 0);                                        // a masked score
            if (v > 1) for (int i = 0; i < v; i++) x.setDouble(Double.NEGATIVE_INFINITY, 5, i); // a fully masked row
            for (boolean log : new boolean[]{false, true}) {
                String what = (log ? "logSoftmax " : "softmax ") + dt + " V=" + v;
                Tensor ye = log ? FusedReference.logSoftmax(cpu, x) : FusedReference.softmax(cpu, x);
                Tensor ya = log ? dev.logSoftmax(t.put(x)) : dev.softmax(t.put(x));
                t.same(what, ye, ya, Tolerance.accumulated(dt));
                // the backward from finite outputs (the fully masked row is NaN on both)
                Tensor xf = random(72 + v, dt, 41, v);
                Tensor y = log ? FusedReference.logSoftmax(cpu, xf) : FusedReference.softmax(cpu, xf);
                Tensor de = log ? FusedReference.logSoftmaxBackward(cpu, dy, y) : FusedReference.softmaxBackward(cpu, dy, y);
                Tensor da = log ? dev.logSoftmaxBackward(t.put(dy), t.put(y)) : dev.softmaxBackward(t.put(dy), t.put(y));
                t.same(what + " backward", de, da, Tolerance.gradient(dt));
            }
        }
    }

    @Test
    void softmaxOfStridedRows() {
        Tensor x = random(75, DType.F32, 64, 600);
        Tensor xs = host(ODD_COLUMNS.apply(x));
        t.same("softmax strided", FusedReference.softmax(cpu, xs), dev.softmax(t.put(x, ODD_COLUMNS)), Tolerance.accumulated(DType.F32));
        t.same("logSoftmax strided", FusedReference.logSoftmax(cpu, xs), dev.logSoftmax(t.put(x, ODD_COLUMNS)), Tolerance.accumulated(DType.F32));
        Tensor dy = random(76, DType.F32, 64, 600), y = FusedReference.softmax(cpu, xs);
        t.same("softmax backward strided", FusedReference.softmaxBackward(cpu, host(ODD_COLUMNS.apply(dy)), y),
                dev.softmaxBackward(t.put(dy, ODD_COLUMNS), t.put(y)), Tolerance.accumulated(DType.F32));
    }
}
