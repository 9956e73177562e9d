package io.jswift.backend.cpu;

import io.jswift.tensor.DType;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.AdamWConfig;
import io.jswift.tensor.spi.AttentionSpec;
import io.jswift.tensor.spi.BinaryOp;
import io.jswift.tensor.spi.FusedReference;
import io.jswift.tensor.spi.ReduceOp;
import io.jswift.tensor.spi.UnaryOp;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import static io.jswift.tensor.testing.RandomTensors.random;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The CPU kernels and the reference compositions take their checks and result dtypes from the rules in
 * tensor/spi: each bad input is refused by both with the same exception and message, and the dtypes agree.
 */
class OpRulesAgreeTest {
    private final CpuBackend cpu = new CpuBackend();

    private static void sameRefusal(String what, Executable kernel, Executable reference) {
        RuntimeException k = assertThrows(RuntimeException.class, kernel, what + " (kernel)");
        RuntimeException r = assertThrows(RuntimeException.class, reference, what + " (reference)");
        assertEquals(r.getClass(), k.getClass(), what);
        assertEquals(r.getMessage(), k.getMessage(), what);
    }

    @Test
    void fusedOpsRefuseBadInputsAlikeInKernelAndReference() {
        Tensor x = random(1, 2, 3, 4, 8), cos = random(2, 4, 8);
        Tensor oddCos = random(3, 4, 7);
        sameRefusal("rope odd R", () -> cpu.rope(x, oddCos, oddCos), () -> FusedReference.rope(cpu, x, oddCos, oddCos));
        Tensor sinOther = random(4, 4, 6);
        sameRefusal("rope sin shape", () -> cpu.rope(x, cos, sinOther), () -> FusedReference.rope(cpu, x, cos, sinOther));

        Tensor q = random(5, 1, 3, 4, 8), k = random(6, 1, 2, 4, 8);
        AttentionSpec spec = AttentionSpec.causal(8);
        sameRefusal("attention GQA", () -> cpu.attention(q, k, k, spec), () -> FusedReference.attention(cpu, q, k, k, spec));
        Tensor noHeads = random(7, 1, 0, 4, 8);
        sameRefusal("attention Hkv = 0", () -> cpu.attention(q, noHeads, noHeads, spec), () -> FusedReference.attention(cpu, q, noHeads, noHeads, spec));

        Tensor ids = Tensor.ofLongs(new long[]{0, 0, 1}, 1, 3);
        AttentionSpec badIds = new AttentionSpec(0.3, true, ids, ids);
        Tensor kv = random(14, 1, 3, 4, 8);
        sameRefusal("attention segment ids shape", () -> cpu.attention(q, kv, kv, badIds), () -> FusedReference.attention(cpu, q, kv, kv, badIds));
        Tensor floatIds = Tensor.of(new float[]{0, 0, 1, 1}, 1, 4);
        AttentionSpec floatSpec = new AttentionSpec(0.3, true, floatIds, floatIds);
        sameRefusal("attention float segment ids", () -> cpu.attention(q, kv, kv, floatSpec), () -> FusedReference.attention(cpu, q, kv, kv, floatSpec));

        Tensor logits = random(8, 3, 5);
        Tensor floatTargets = Tensor.of(new float[]{1, 2, 3}, 3);
        sameRefusal("cross-entropy float targets", () -> cpu.crossEntropy(logits, floatTargets, -100),
                () -> FusedReference.crossEntropy(cpu, logits, floatTargets, -100));
        Tensor badTarget = Tensor.ofLongs(new long[]{1, 5, 0}, 3);
        sameRefusal("cross-entropy target range", () -> cpu.crossEntropy(logits, badTarget, -100),
                () -> FusedReference.crossEntropy(cpu, logits, badTarget, -100));

        Tensor w = random(9, 7);
        sameRefusal("rmsNorm weight size", () -> cpu.rmsNorm(x, w, 1e-6), () -> FusedReference.rmsNorm(cpu, x, w, 1e-6));
        Tensor rstd = random(15, 2, 3, 4);
        sameRefusal("layerNorm backward without mean", () -> cpu.layerNormBackward(x, x, null, null, rstd, false),
                () -> FusedReference.layerNormBackward(cpu, x, x, null, null, rstd, false));
        Tensor ints = Tensor.ofLongs(new long[]{1, 2, 3}, 3);
        sameRefusal("layerNorm integer x", () -> cpu.layerNorm(ints, null, null, 1e-5), () -> FusedReference.layerNorm(cpu, ints, null, null, 1e-5));
        sameRefusal("softmax scalar", () -> cpu.softmax(Tensor.scalar(DType.F32, 1)), () -> FusedReference.softmax(cpu, Tensor.scalar(DType.F32, 1)));
        sameRefusal("siluMul shapes", () -> cpu.siluMul(w, random(10, 6)), () -> FusedReference.siluMul(cpu, w, random(10, 6)));
        AdamWConfig c = new AdamWConfig(1e-3, 0.9, 0.999, 1e-8, 0.0);
        Tensor p = random(11, 4), g = random(12, 5);
        sameRefusal("adamw grad shape", () -> cpu.adamwStep(p, g, Tensor.zeros(DType.F32, 4), Tensor.zeros(DType.F32, 4), c, 1),
                () -> FusedReference.adamwStep(cpu, p, g, Tensor.zeros(DType.F32, 4), Tensor.zeros(DType.F32, 4), c, 1));
    }

    @Test
    void resultDtypes() {
        Tensor i32 = Tensor.ofLongs(new long[]{3, 4}, 2).to(DType.I32);
        assertEquals(DType.I64, cpu.binaryScalar(BinaryOp.ADD, i32, 2).dtype(), "int + integral scalar stays integer (64-bit)");
        assertEquals(DType.F32, cpu.binaryScalar(BinaryOp.MUL, i32, 0.5).dtype(), "int * fractional scalar gives F32");
        assertEquals(DType.F32, cpu.binaryScalar(BinaryOp.DIV, i32, 2).dtype(), "int / scalar gives F32");
        assertEquals(DType.BF16, cpu.binaryScalar(BinaryOp.MUL, random(13, 2).to(DType.BF16), 0.5).dtype(), "a float tensor keeps its dtype");
        assertEquals(DType.BOOL, cpu.binaryScalar(BinaryOp.LT, i32, 3.5).dtype());
        assertEquals(DType.I64, cpu.unary(UnaryOp.NEG, Tensor.ofLongs(new long[]{1}, 1).to(DType.U8)).dtype(), "u8 arithmetic widens to I64");
        assertEquals(DType.F32, cpu.reduce(ReduceOp.MEAN, i32, new int[0], false).dtype());
        assertEquals(DType.I64, cpu.reduce(ReduceOp.SUM, i32, new int[0], false).dtype());
        ArithmeticException e = assertThrows(ArithmeticException.class, () -> cpu.binaryScalar(BinaryOp.POW, i32, -1));
        assertTrue(e.getMessage().contains("negative exponent"), e.getMessage());
    }
}
