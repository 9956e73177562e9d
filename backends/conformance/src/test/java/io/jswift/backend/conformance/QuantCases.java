package io.jswift.backend.conformance;

import io.jswift.tensor.DType;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.quant.Blockwise4bit;
import io.jswift.tensor.quant.FourBitType;
import io.jswift.tensor.quant.QuantState4bit;
import io.jswift.tensor.quant.QuantStateTensors;
import io.jswift.tensor.quant.Weight4bit;
import io.jswift.tensor.spi.Backend;
import io.jswift.tensor.spi.QuantReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.Arrays;
import java.util.Map;

import static io.jswift.tensor.testing.RandomTensors.random;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * bitsandbytes 4-bit weights: dequantize4bit and matmul4bit (the decode GEMV and small-M GEMM) against the reference
 * compositions on the CPU, NF4 and FP4, full and partial blocks, odd element counts, f32 / bf16 / f16; and the
 * same ops over a weight as stored ({@link Weight4bit}: plain or double-quantized absmax, x · Wᵀ and dy · W).
 * Dims: M rows of x, N output features, K input features.
 */
public abstract class QuantCases {
    private final Target t;
    private final Backend dev, cpu;

    protected QuantCases(Target target) {
        this.t = target;
        this.dev = target.backend();
        this.cpu = target.cpu();
    }

    /** A random weight of {@code shape} quantized by bnb's rule: packed U8 bytes and F32 absmax per block. */
    private static Tensor[] quantized(long seed, FourBitType type, int blocksize, int... shape) {
        Tensor w = random(seed, DType.F32, shape);
        Blockwise4bit.Packed p = Blockwise4bit.quantize(w.toFloatArray(), type, blocksize);
        Tensor packed = Tensor.zeros(DType.U8, p.data().length);
        for (int i = 0; i < p.data().length; i++) packed.setLong(p.data()[i] & 0xFF, i);
        return new Tensor[]{packed, Tensor.of(p.absmax(), p.absmax().length)};
    }

    @ParameterizedTest
    @EnumSource(FourBitType.class)
    void dequantizeFullAndPartialBlocks(FourBitType type) {
        int[][] shapes = {{7, 64}, {3, 37}, {1, 1}, {130, 33}};
        for (int blocksize : new int[]{64, 128}) {
            for (int[] shape : shapes) {
                Tensor[] q = quantized(shape[0] * 31L + shape[1], type, blocksize, shape);
                for (DType dt : new DType[]{DType.F32, DType.BF16, DType.F16}) {
                    // the f32 product is rounded once to dtype on every backend
                    t.same("dequantize4bit " + type + " " + dt + " blocks of " + blocksize + " " + Arrays.toString(shape),
                            QuantReference.dequantize4bit(cpu, q[0], q[1], type, blocksize, shape, dt),
                            dev.dequantize4bit(t.put(q[0]), t.put(q[1]), type, blocksize, shape, dt), Tolerance.EXACT);
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(FourBitType.class)
    void matmulDecodeRowsAndSmallBatches(FourBitType type) {
        int n = 65, k = 192;
        Tensor[] q = quantized(5, type, 64, n, k);
        for (DType dt : new DType[]{DType.F32, DType.BF16, DType.F16}) {
            for (int m : new int[]{1, 3, 17}) {
                Tensor x = random(m, dt, m, k);
                Tensor expected = QuantReference.matmul4bit(cpu, x, q[0], q[1], type, 64, new int[]{n, k}, dt);
                Tensor actual = dev.matmul4bit(t.put(x), t.put(q[0]), t.put(q[1]), type, 64, new int[]{n, k}, dt);
                t.same("matmul4bit " + type + " " + dt + " M=" + m, expected, actual, dt == DType.F32 ? new Tolerance(1e-4, 1e-5)
                        : new Tolerance(1e-4, dt == DType.BF16 ? 1e-2 : 1e-3));
            }
        }
        // an odd K (a partial last block in the flat weight) and f32 activations with a bf16 weight
        Tensor[] odd = quantized(6, type, 64, 9, 37);
        Tensor x = random(7, DType.F32, 2, 37);
        t.same("matmul4bit odd K", QuantReference.matmul4bit(cpu, x, odd[0], odd[1], type, 64, new int[]{9, 37}, DType.BF16),
                dev.matmul4bit(t.put(x), t.put(odd[0]), t.put(odd[1]), type, 64, new int[]{9, 37}, DType.BF16), new Tolerance(1e-4, 1e-5));
    }

    /** A random [n, k] weight as a bnb checkpoint stores it (blocks of 64; nested: the absmax double quantized). */
    private static Weight4bit stored(long seed, FourBitType type, boolean nested, int n, int k) {
        QuantState4bit.Quantized q = QuantState4bit.quantize(random(seed, DType.F32, n, k).toFloatArray(), new int[]{n, k}, DType.F32, type, nested);
        Map<String, Tensor> t = QuantStateTensors.toTensors("weight", q);
        QuantState4bit.Nested ns = q.state().nested();
        Weight4bit.Absmax absmax = ns == null ? new Weight4bit.Plain(t.get("weight.absmax"))
                : new Weight4bit.Nested(t.get("weight.absmax"), t.get("weight.nested_absmax"), t.get("weight.nested_quant_map"), ns.blocksize(), ns.offset());
        return new Weight4bit(t.get("weight"), absmax, type, q.state().blocksize(), new int[]{n, k});
    }

    private Weight4bit onDevice(Weight4bit w) {
        Weight4bit.Absmax absmax = switch (w.absmax()) {
            case Weight4bit.Plain p -> new Weight4bit.Plain(t.put(p.values()));
            case Weight4bit.Nested n -> new Weight4bit.Nested(t.put(n.codes()), t.put(n.absmax2()), t.put(n.code()), n.blocksize(), n.offset());
        };
        return new Weight4bit(t.put(w.packed()), absmax, w.type(), w.blocksize(), w.shape());
    }

    @ParameterizedTest
    @EnumSource(FourBitType.class)
    void storedWeightsDequantizeAsTheReference(FourBitType type) {
        for (boolean nested : new boolean[]{false, true}) {
            // 300 blocks of 64: the nested absmax spans two of its 256-block groups; 5x37 ends in a partial block
            for (int[] nk : new int[][]{{150, 128}, {5, 37}}) {
                Weight4bit w = stored(nk[0] + 7L * nk[1], type, nested, nk[0], nk[1]);
                for (DType dt : new DType[]{DType.F32, DType.BF16, DType.F16}) {
                    // bit for bit: the nested absmax too is code · absmax2 and + offset, each rounded (no fused multiply-add)
                    t.same("dequantize4bit stored " + type + (nested ? " nested " : " plain ") + dt + " " + Arrays.toString(nk),
                            QuantReference.dequantize4bit(cpu, w, dt), dev.dequantize4bit(onDevice(w), dt), Tolerance.EXACT);
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(FourBitType.class)
    void storedWeightsMultiplyBothWaysAsTheReference(FourBitType type) {
        int n = 72, k = 320;
        for (boolean nested : new boolean[]{false, true}) {
            Weight4bit w = stored(n + (nested ? 1 : 0), type, nested, n, k), wd = onDevice(w);
            for (DType dt : new DType[]{DType.F32, DType.BF16, DType.F16}) {
                Tolerance tol = dt == DType.F32 ? new Tolerance(1e-4, 1e-5) : new Tolerance(1e-4, dt == DType.BF16 ? 1e-2 : 1e-3);
                // 1 and 5 rows: the decode GEMV (up to 8 rows); 9 and 40: dequantize + GEMM
                for (int m : new int[]{1, 5, 9, 40}) {
                    Tensor x = random(m * 3L, dt, m, k), dy = random(m * 3L + 1, dt, m, n);
                    String what = type + (nested ? " nested " : " plain ") + dt + " M=" + m;
                    t.same("matmul4bit x·Wᵀ " + what, QuantReference.matmul4bit(cpu, x, w, true, dt), dev.matmul4bit(t.put(x), wd, true, dt), tol);
                    t.same("matmul4bit dy·W " + what, QuantReference.matmul4bit(cpu, dy, w, false, dt), dev.matmul4bit(t.put(dy), wd, false, dt), tol);
                }
            }
            // f32 activations with a bf16 weight (a bf16 compute dtype over an f32 input): each weight rounded to bf16
            Tensor x = random(11, DType.F32, 3, k);
            t.same("matmul4bit f32 x, bf16 W " + type, QuantReference.matmul4bit(cpu, x, w, true, DType.BF16),
                    dev.matmul4bit(t.put(x), wd, true, DType.BF16), new Tolerance(1e-4, 1e-5));
        }
    }

    @Test
    void badPackedDataFailsClearly() {
        Tensor[] q = quantized(8, FourBitType.NF4, 64, 4, 64);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> dev.dequantize4bit(t.put(q[0]), t.put(q[1]), FourBitType.NF4, 64, new int[]{4, 66}, DType.F32));
        assertTrue(e.getMessage().contains("packs into 132 bytes, got 128"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> dev.matmul4bit(t.put(random(9, DType.F32, 2, 63)), t.put(q[0]), t.put(q[1]), FourBitType.NF4, 64, new int[]{4, 64}, DType.F32));
        assertTrue(e.getMessage().contains("x must be [M, 64]"), e.getMessage());
    }
}
