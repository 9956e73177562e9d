package io.jswift.autograd;

import io.jswift.autograd.ops.Elementwise;
import io.jswift.autograd.ops.Fused;
import io.jswift.autograd.ops.LinearAlgebra;
import io.jswift.autograd.ops.Losses;
import io.jswift.autograd.ops.Reductions;
import io.jswift.tensor.DType;
import io.jswift.tensor.Generator;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.UnaryOp;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.jswift.autograd.GradCheckTest.rand;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EngineTest {
    @Test
    void gradientsAccumulateAcrossBackwardCalls() {
        Variable x = Variable.leaf(Tensor.of(new double[]{1, 2, 3}, 3), true);
        Reductions.sum(Elementwise.scale(x, 2)).backward();
        Reductions.sum(Elementwise.scale(x, 3)).backward();
        assertArrayEquals(new double[]{5, 5, 5}, x.grad().toDoubleArray());
        x.zeroGrad();
        assertNull(x.grad());
    }

    @Test
    void diamondGraphSumsBothPaths() {
        Variable x = Variable.leaf(Tensor.of(new double[]{2}, 1), true);
        Variable y = Elementwise.unary(UnaryOp.EXP, x); // used twice below
        Reductions.sum(Elementwise.add(Elementwise.mul(y, y), y)).backward();
        double e2 = Math.exp(2);
        assertEquals(2 * e2 * e2 + e2, x.grad().toDoubleArray()[0], 1e-9);
    }

    @Test
    void savedTensorsAreReleasedUnlessRetained() {
        Variable x = Variable.leaf(Tensor.of(new double[]{1, 2}, 2), true);
        Variable loss = Reductions.sum(Elementwise.mul(x, x));
        Tensor one = Tensor.scalar(DType.F64, 1);
        loss.backward(one, true);
        loss.backward(one, false); // retained once, so this works
        assertArrayEquals(new double[]{4, 8}, x.grad().toDoubleArray());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> loss.backward(one, false));
        assertTrue(e.getMessage().contains("retainGraph"), e.getMessage());
    }

    @Test
    void noGradRecordsNothing() {
        Variable x = Variable.leaf(Tensor.of(new double[]{1}, 1), true);
        Variable y;
        try (var s = GradMode.noGrad()) {
            y = Elementwise.scale(x, 3);
        }
        assertFalse(y.requiresGrad());
        assertThrows(IllegalStateException.class, y::backward);
        assertTrue(GradMode.isEnabled());
    }

    @Test
    void frozenLeavesGetNoGradient() {
        Variable w = Variable.leaf(rand(1, 3, 2), false);
        Variable x = Variable.leaf(rand(2, 4, 2), true);
        Reductions.sum(LinearAlgebra.linear(x, w, null)).backward();
        assertNull(w.grad());
        assertEquals(4 * 2, x.grad().numel());
    }

    @Test
    void checkpointGivesTheSameGradientsAsPlainBackward() {
        Tensor x0 = rand(1, 2, 3, 8);
        Variable w1 = Variable.leaf(rand(2, 8, 8), true), w2 = Variable.leaf(rand(3, 8, 8), true);
        Variable norm = Variable.leaf(rand(4, 8), true);
        Generator gen = new Generator(5);
        Checkpoint.Block block = in -> {
            Variable h = Fused.rmsNorm(in[0], norm, 1e-6);
            h = io.jswift.autograd.ops.Dropout.apply(LinearAlgebra.linear(h, w1, null), 0.2, gen);
            return Elementwise.add(in[0], LinearAlgebra.linear(Elementwise.unary(UnaryOp.SILU, h), w2, null));
        };
        // plain
        Variable xa = Variable.leaf(x0, true);
        gen.setOffset(0);
        Reductions.sum(Elementwise.unary(UnaryOp.TANH, block.apply(new Variable[]{xa}))).backward();
        Tensor[] plain = {xa.grad(), w1.grad(), w2.grad(), norm.grad()};
        for (Variable v : List.of(w1, w2, norm)) v.zeroGrad();
        // checkpointed: same generator start, so the same dropout masks
        Variable xb = Variable.leaf(x0, true);
        gen.setOffset(0);
        Variable out = Checkpoint.apply(block, List.of(w1, w2, norm), gen, xb);
        Reductions.sum(Elementwise.unary(UnaryOp.TANH, out)).backward();
        Tensor[] ckpt = {xb.grad(), w1.grad(), w2.grad(), norm.grad()};
        for (int i = 0; i < plain.length; i++) assertArrayEquals(plain[i].toDoubleArray(), ckpt[i].toDoubleArray(), 1e-12);
    }

    @Test
    void checkpointRecordsWhenOnlyParametersRequireGrad() {
        Variable w = Variable.leaf(rand(1, 4, 4), true);
        Variable x = Variable.constant(rand(2, 3, 4)); // e.g. frozen embeddings under LoRA
        Variable out = Checkpoint.apply(in -> LinearAlgebra.linear(in[0], w, null), List.of(w), null, x);
        Reductions.sum(out).backward();
        assertEquals(16, w.grad().numel());
    }

    /** A 2-layer MLP learns XOR with plain SGD. */
    @Test
    void mlpLearnsXor() {
        Tensor xs = Tensor.of(new double[]{0, 0, 0, 1, 1, 0, 1, 1}, 4, 2);
        Tensor ys = Tensor.ofLongs(new long[]{0, 1, 1, 0}, 4);
        Variable w1 = Variable.leaf(rand(3, 8, 2), true), b1 = Variable.leaf(Tensor.zeros(DType.F64, 8), true);
        Variable w2 = Variable.leaf(rand(4, 2, 8), true), b2 = Variable.leaf(Tensor.zeros(DType.F64, 2), true);
        List<Variable> params = List.of(w1, b1, w2, b2);
        double loss = Double.NaN;
        for (int step = 0; step < 500; step++) {
            Variable h = Elementwise.unary(UnaryOp.TANH, LinearAlgebra.linear(Variable.constant(xs), w1, b1));
            Variable l = Losses.crossEntropy(LinearAlgebra.linear(h, w2, b2), ys, Losses.IGNORE_INDEX);
            loss = l.value().item();
            l.backward();
            for (Variable p : params) {
                p.setValue(p.value().backend().binary(io.jswift.tensor.spi.BinaryOp.SUB, p.value(),
                        p.value().backend().binaryScalar(io.jswift.tensor.spi.BinaryOp.MUL, p.grad(), 0.5)));
                p.zeroGrad();
            }
        }
        assertTrue(loss < 0.05, "XOR loss after training: " + loss);
    }
}
