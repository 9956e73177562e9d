package io.jswift.backend.gpu;

import io.jswift.tensor.DType;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.quant.FourBitType;
import io.jswift.tensor.quant.Weight4bit;
import io.jswift.tensor.spi.QuantReference;

import java.util.ArrayList;
import java.util.List;
import java.util.StringJoiner;

/**
 * bitsandbytes 4-bit weights on the device (quant4bit.c): dequantize4bit, one thread per packed byte, and the decode
 * GEMV x · Wᵀ for few rows of x (bnb's gemv_4bit), one block per weight row, decoding each weight once in registers.
 * Plain and double-quantized absmax (the 8-bit codes decoded per block in the kernel). Other products take bnb's
 * training path, dequantize then the device GEMM (MatMul4Bit: linear(A, dequantize_4bit(B))).
 * Dims: M rows of x, N rows of W (out features), K its columns (in features).
 */
final class Quant4bit {
    /** Most rows of x the GEMV takes (a decode batch); more go through dequantize + GEMM. */
    static final int MAX_ROWS = 8;
    /** Threads a GEMV block: one per GROUP-th weight of a row. */
    private static final int GEMV_GROUP = 128;

    private final GpuDevice dev;
    private final Gemm gemm;

    Quant4bit(GpuDevice dev, Gemm gemm) {
        this.dev = dev;
        this.gemm = gemm;
    }

    /** Whether the kernels take this weight dtype (F64 and the rest: the reference composition). */
    static boolean supports(DType weightDtype) {
        return weightDtype == DType.F32 || weightDtype == DType.BF16 || weightDtype == DType.F16;
    }

    Tensor dequantize(Weight4bit w, DType dtype) {
        QuantReference.checkWeight4bit(w, dtype);
        long n = w.numel();
        Tensor out = GpuTensors.empty(dev, dtype, w.shape());
        ProgramSource src = source(w).type("OUT", dtype).build();
        List<Object> args = new ArrayList<>();
        args.add(GpuTensors.dense(dev, w.packed()));
        addAbsmax(args, w);
        args.add(out);
        args.add(n);
        args.add((long) w.blocksize());
        Launches.elements(dev, src, "dequantize4bit", (n + 1) / 2, args.toArray());
        return out;
    }

    /** x · op(W), checked by the caller; the GEMV when transW, few rows and an f32 / bf16 weight, else dequantize + GEMM. */
    Tensor matmul(Tensor x, Weight4bit w, boolean transW, DType weightDtype) {
        if (!transW || x.size(0) > MAX_ROWS || !gemvTakes(x.dtype(), weightDtype)) {
            return gemm.matmul(x, dequantize(w, weightDtype), false, transW);
        }
        int m = x.size(0), n = w.rows(), k = w.cols();
        DType out = DType.promote(x.dtype(), weightDtype);
        Tensor y = GpuTensors.empty(dev, out, m, n);
        int group = Launches.block(dev, GEMV_GROUP);
        KernelSource ks = source(w).type("X", x.dtype()).type("Y", out).define("GROUP", group).define("ROWS", MAX_ROWS);
        if (weightDtype == DType.BF16) ks.define("W_BF16", 1);
        List<Object> args = new ArrayList<>();
        args.add(GpuTensors.dense(dev, x));
        args.add(GpuTensors.dense(dev, w.packed()));
        addAbsmax(args, w);
        args.add(y);
        args.add(m);
        args.add((long) n);
        args.add((long) k);
        args.add((long) w.blocksize());
        Launches.rows(dev, ks.build(), "matmul4bit_rows", n, group, args.toArray());
        return y;
    }

    /** f32 or bf16 weights (an f16 weight would need an f16 rounding in registers), floating x below f64. */
    private static boolean gemvTakes(DType x, DType weightDtype) {
        return (weightDtype == DType.F32 || weightDtype == DType.BF16) && (x == DType.F32 || x == DType.BF16 || x == DType.F16);
    }

    /** The program's code table and absmax layout. */
    private static KernelSource source(Weight4bit w) {
        KernelSource ks = KernelSource.of("quant4bit.c").define("CODES", codes(w.type()));
        if (w.absmax() instanceof Weight4bit.Nested) ks.define("NESTED", 1);
        return ks;
    }

    /** The kernel's ABSMAX_PARAMS: the plain values, or the codes, nested absmax, nested code, nested blocksize, offset. */
    private void addAbsmax(List<Object> args, Weight4bit w) {
        switch (w.absmax()) {
            case Weight4bit.Plain p -> args.add(GpuTensors.dense(dev, p.values()));
            case Weight4bit.Nested nq -> {
                args.add(GpuTensors.dense(dev, nq.codes()));
                args.add(GpuTensors.dense(dev, nq.absmax2()));
                args.add(GpuTensors.dense(dev, nq.code()));
                args.add((long) nq.blocksize());
                args.add(nq.offset());
            }
        }
    }

    /** The type's 16 values as a C initializer of exact hexadecimal float literals (FourBitType holds the one table). */
    static String codes(FourBitType type) {
        StringJoiner j = new StringJoiner(", ", "{", "}");
        for (float v : type.table()) j.add(Float.toHexString(v) + "f");
        return j.toString();
    }
}
