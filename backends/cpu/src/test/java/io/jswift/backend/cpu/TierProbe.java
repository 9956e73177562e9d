package io.jswift.backend.cpu;

import io.jswift.tensor.DType;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.quant.Blockwise4bit;
import io.jswift.tensor.quant.FourBitType;
import io.jswift.tensor.quant.QuantStateTensors;
import io.jswift.tensor.quant.Weight4bit;
import io.jswift.tensor.spi.AttentionSpec;
import io.jswift.tensor.spi.FusedResults;
import io.jswift.tensor.spi.ReduceOp;
import io.jswift.tensor.spi.UnaryOp;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static io.jswift.tensor.testing.RandomTensors.random;

/**
 * A fixed set of CPU kernel calls on small seeded inputs, each reduced to a digest of its output bits: run by
 * {@link TierIndependenceTest} in a JVM that only interprets ({@code -Xint}) and in the test's JVM after warm-up
 * (C2), whose digests must be equal. Shapes are small (the interpreter runs the Vector API ~1000x slower) but
 * longer than a vector in the reduced dims and odd, so every kernel runs vector bodies, reductions and tails.
 */
final class TierProbe {
    private static final CpuBackend CPU = new CpuBackend();

    private TierProbe() {}

    /** Prints one "name digest" line per kernel output. */
    public static void main(String[] args) {

        for (String line : digests()) System.out.println(line);
    }

    static List<String> digests() {
        List<String> out = new ArrayList<>();
        Tensor x = scaled(random(1, 3, 53), 4);
        out.add(line("softmax", CPU.softmax(x)));
        out.add(line("logSoftmax", CPU.logSoftmax(x)));
        Tensor dy = random(2, 3, 53);
        out.add(line("softmaxBackward", CPU.softmaxBackward(dy, CPU.softmax(x))));
        out.add(line("logSoftmaxBackward", CPU.logSoftmaxBackward(dy, CPU.logSoftmax(x))));

        Tensor targets = Tensor.ofLongs(new long[]{5, 52, -100}, 3);
        FusedResults.CrossEntropy ce = CPU.crossEntropy(x, targets, -100);
        out.add(line("crossEntropy.losses", ce.losses()));
        out.add(line("crossEntropy.lse", ce.logSumExp()));
        out.add(line("crossEntropyBackward", CPU.crossEntropyBackward(random(3, 3), x, targets, ce.logSumExp(), -100)));

        Tensor h = random(4, 3, 45), w = random(5, 45);
        FusedResults.RmsNorm rms = CPU.rmsNorm(h, w, 1e-6);
        out.add(line("rmsNorm", rms.output()));
        FusedResults.NormGrads rg = CPU.rmsNormBackward(random(6, 3, 45), h, w, rms.rstd());
        out.add(line("rmsNormBackward.dx", rg.dInput()));
        out.add(line("rmsNormBackward.dw", rg.dWeight()));
        out.add(line("layerNorm", CPU.layerNorm(h, w, random(7, 45), 1e-5).output()));

        Tensor q = random(8, 1, 4, 11, 24), k = random(9, 1, 2, 11, 24), v = random(10, 1, 2, 11, 24);
        AttentionSpec causal = new AttentionSpec(1 / Math.sqrt(24), true, null, null);
        FusedResults.Attention att = CPU.attention(q, k, v, causal);
        out.add(line("attention", att.output()));
        out.add(line("attention.lse", att.logSumExp()));
        FusedResults.AttentionGrads ag = CPU.attentionBackward(random(11, 1, 4, 11, 24), q, k, v, att.output(), att.logSumExp(), causal);
        out.add(line("attentionBackward.dq", ag.dq()));
        out.add(line("attentionBackward.dk", ag.dk()));
        out.add(line("attentionBackward.dv", ag.dv()));
        AttentionSpec capped = new AttentionSpec(1 / Math.sqrt(24), true, null, null, 0, 5.0);
        out.add(line("attention.softcap", CPU.attention(q, k, v, capped).output()));
        Tensor q1 = random(12, 1, 4, 1, 24);
        out.add(line("attention.decode", CPU.attention(q1, k, v, causal).output()));
        out.add(line("attention.decode.softcap", CPU.attention(q1, k, v, capped).output()));

        Tensor a = random(13, 5, 67), b = random(14, 67, 19);
        out.add(line("matmul", CPU.matmul(a, b, false, false)));
        out.add(line("matmul.gemv", CPU.matmul(random(15, 1, 67), b, false, false)));
        out.add(line("matmul.gemv.transB", CPU.matmul(random(15, 1, 67), random(16, 19, 67), false, true)));
        out.add(line("matmul.gemv4bit", CPU.matmul4bit(random(17, 1, 128), weight4bit(18, 24, 128), true, DType.F32)));
        // x·Wᵀ for a few and for tens of rows (RowDotTiles, WeightRowsGemm), and a narrow tall dYᵀ·h (transposed route)
        out.add(line("matmul.rowDots", CPU.matmul(random(19, 8, 67), random(20, DType.BF16, 19, 67), false, true)));
        out.add(line("matmul.weightRows", CPU.matmul(random(21, 20, 67), random(22, 19, 67), false, true)));
        out.add(line("matmul.weightRows.bf16", CPU.matmul(random(23, 20, 67), random(24, DType.BF16, 19, 67), false, true)));
        out.add(line("matmul.narrowTall", CPU.matmul(random(25, 67, 520), random(26, 67, 5), true, false)));

        Tensor e = scaled(random(19, 301), 6);
        for (UnaryOp op : new UnaryOp[]{UnaryOp.EXP, UnaryOp.LOG, UnaryOp.TANH, UnaryOp.SIGMOID, UnaryOp.SILU, UnaryOp.GELU,
                UnaryOp.GELU_TANH, UnaryOp.SIN, UnaryOp.COS}) {
            out.add(line("unary." + op, CPU.unary(op, op == UnaryOp.LOG ? CPU.unary(UnaryOp.ABS, e) : e)));
        }
        Tensor gate = random(20, 3, 37), up = random(21, 3, 37);
        out.add(line("siluMul", CPU.siluMul(gate, up)));
        FusedResults.SiluMulGrads sg = CPU.siluMulBackward(random(22, 3, 37), gate, up);
        out.add(line("siluMulBackward.dGate", sg.dGate()));
        out.add(line("siluMulBackward.dUp", sg.dUp()));
        for (ReduceOp op : new ReduceOp[]{ReduceOp.SUM, ReduceOp.MEAN, ReduceOp.MAX, ReduceOp.MIN}) {
            out.add(line("reduce." + op, CPU.reduce(op, x, new int[]{1}, false)));
        }
        return out;
    }

    private static Tensor scaled(Tensor t, float by) {
        float[] v = t.toFloatArray();
        for (int i = 0; i < v.length; i++) v[i] *= by;
        return Tensor.of(v, t.shape());
    }

    private static Weight4bit weight4bit(long seed, int n, int k) {
        Random r = new Random(seed);
        float[] v = new float[n * k];
        for (int i = 0; i < v.length; i++) v[i] = (float) (r.nextGaussian() * 0.3);
        Blockwise4bit.Packed p = Blockwise4bit.quantize(v, FourBitType.NF4, 64);
        return new Weight4bit(QuantStateTensors.bytes(p.data(), p.data().length, 1),
                new Weight4bit.Plain(Tensor.of(p.absmax(), p.absmax().length)), FourBitType.NF4, 64, new int[]{n, k});
    }

    /** "name" and a 64-bit FNV-1a digest of the output's raw float bits (doubles for F64 outputs). */
    private static String line(String name, Tensor t) {
        long hash = 0xcbf29ce484222325L;
        if (t.dtype() == DType.F64) {
            for (double d : t.toDoubleArray()) hash = mix(hash, Double.doubleToRawLongBits(d));
        } else {
            for (float f : t.toFloatArray()) hash = mix(hash, Float.floatToRawIntBits(f));
        }
        return name + " " + Long.toHexString(hash);
    }

    private static long mix(long hash, long bits) {
        for (int i = 0; i < 8; i++) {
            hash ^= (bits >>> (8 * i)) & 0xff;
            hash *= 0x100000001b3L;
        }
        return hash;
    }
}
