package io.jswift.backend.conformance;

import io.jswift.tensor.DType;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.quant.Blockwise4bit;
import io.jswift.tensor.quant.FourBitType;
import io.jswift.tensor.spi.Backend;
import io.jswift.tensor.spi.QuantReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.Arrays;

import static io.jswift.tensor.testing.RandomTensors.random;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * bitsandbytes 4-bit weights: dequantize4bit and matmul4bit (the decode GEMV and small-M GEMM) against the reference
 * compositions on the CPU, NF4 and FP4, full and partial blocks, odd element counts, f32 / bf16 / f16.
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
