package io.jswift.backend.conformance;

import io.jswift.tensor.DType;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.Backend;
import io.jswift.tensor.spi.FusedReference;
import io.jswift.tensor.spi.FusedResults;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.Random;

import static io.jswift.backend.conformance.NormCases.ROW_LENGTHS;
import static io.jswift.tensor.testing.RandomTensors.random;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Cross-entropy and its backward against the reference composition on the CPU: vocabularies below, at and above a work
 * group, ignored rows, I32 / I64 targets, strided logits, f32 / bf16 / f16 / f64. Dims: N rows, V vocabulary.
 */
public abstract class CrossEntropyCases {
    private final Target t;
    private final Backend dev, cpu;

    protected CrossEntropyCases(Target target) {
        this.t = target;
        this.dev = target.backend();
        this.cpu = target.cpu();
    }

    /** Targets in [0, V) with every third row ignored (-100). */
    private static Tensor targets(long seed, DType dt, int n, int v) {
        Random r = new Random(seed);
        long[] ids = new long[n];
        for (int i = 0; i < n; i++) ids[i] = i % 3 == 1 ? -100 : r.nextInt(v);
        Tensor l = Tensor.ofLongs(ids, n);
        return dt == DType.I64 ? l : l.to(dt);
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "BF16", "F16", "F64"})
    void crossEntropyAndBackward(DType dt) {
        for (int v : ROW_LENGTHS) {
            for (DType tt : dt == DType.F32 ? new DType[]{DType.I64, DType.I32} : new DType[]{DType.I64}) {
                String what = "crossEntropy " + dt + " V=" + v + " " + tt;
                Tensor logits = random(80 + v, dt, 50, v), tg = targets(81 + v, tt, 50, v);
                Tensor dl = random(82 + v, DType.F32, 50);
                FusedResults.CrossEntropy e = FusedReference.crossEntropy(cpu, logits, tg, -100);
                FusedResults.CrossEntropy a = dev.crossEntropy(t.put(logits), t.put(tg), -100);
                // losses and lse are f32 (f64) sums of the same rounded logits
                t.same(what + " losses", e.losses(), a.losses(), Tolerance.accumulated(e.losses().dtype()));
                t.same(what + " lse", e.logSumExp(), a.logSumExp(), Tolerance.accumulated(e.logSumExp().dtype()));
                assertEquals(0.0, a.losses().toDoubleArray()[1], what + ": ignored row");
                Tensor ge = FusedReference.crossEntropyBackward(cpu, dl, logits, tg, e.logSumExp(), -100);
                Tensor ga = dev.crossEntropyBackward(t.put(dl), t.put(logits), t.put(tg), a.logSumExp(), -100);
                t.same(what + " dlogits", ge, ga, Tolerance.gradient(dt));
                for (double g : ga.narrow(0, 1, 1).toDoubleArray()) assertEquals(0.0, g, what + ": ignored row gradient");
            }
        }
    }

    @Test
    void stridedLogitsAndBroadcastLossGradient() {
        // the logits of the last position only (a narrowed [B, T, V] view), and dLoss expanded from a mean (stride 0)
        Tensor all = random(85, DType.F32, 6, 4, 259);
        Tensor logits = all.select(1, 3), tg = targets(86, DType.I64, 6, 259);
        FusedResults.CrossEntropy e = FusedReference.crossEntropy(cpu, logits.contiguous(), tg, -100);
        FusedResults.CrossEntropy a = dev.crossEntropy(t.put(all).select(1, 3), t.put(tg), -100);
        t.same("crossEntropy strided losses", e.losses(), a.losses(), Tolerance.accumulated(DType.F32));
        Tensor dl = Tensor.scalar(DType.F32, 0.25);
        Tensor ge = FusedReference.crossEntropyBackward(cpu, dl.reshape(1).expand(6), logits.contiguous(), tg, e.logSumExp(), -100);
        Tensor ga = dev.crossEntropyBackward(t.put(dl).reshape(1).expand(6), t.put(all).select(1, 3), t.put(tg), a.logSumExp(), -100);
        t.same("crossEntropy strided dlogits", ge, ga, Tolerance.accumulated(DType.F32));
    }

    @Test
    void anOutOfRangeTargetIsNamed() {
        Tensor logits = t.put(random(90, DType.F32, 6, 11));
        Tensor tg = t.put(Tensor.ofLongs(new long[]{3, -100, 10, 11, 4, -1}, 6));
        IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class, () -> dev.crossEntropy(logits, tg, -100));
        assertTrue(e.getMessage().contains("target 11 at row 3") && e.getMessage().contains("[0, 11)"), e.getMessage());
        Tensor dl = t.put(random(91, DType.F32, 6)), lse = t.put(random(92, DType.F32, 6));
        e = assertThrows(IndexOutOfBoundsException.class, () -> dev.crossEntropyBackward(dl, logits, tg, lse, -100));
        assertTrue(e.getMessage().contains("target 11 at row 3"), e.getMessage());
        // -1 is fine when it is the ignore index
        Tensor ok = t.put(Tensor.ofLongs(new long[]{3, -1, 10, 0, 4, -1}, 6));
        assertEquals(0.0, dev.crossEntropy(logits, ok, -1).losses().toDoubleArray()[5]);
        assertThrows(IllegalArgumentException.class, () -> dev.crossEntropy(logits, t.put(random(93, DType.F32, 6)), -100));
    }
}
