package io.jswift.cli;

import io.jswift.models.arch.Architectures;
import io.jswift.nn.quant.QuantConfig4bit;
import io.jswift.tensor.DType;
import io.jswift.tensor.quant.FourBitType;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;

/**
 * ms-swift's quantization flags (swift/llm/argument/base_args/quant_args.py): {@code --quant_method bnb --quant_bits 4}
 * quantizes the linear layers to bitsandbytes 4-bit as the model loads (transformers' load_in_4bit). Defaults as
 * ms-swift: nf4, double quantization on, compute dtype = --torch_dtype (else the model's dtype).
 */
final class QuantOptions {
    @Option(names = "--quant_method", description = "bnb: quantize the linear layers to 4 bits at load (bitsandbytes' NF4 / FP4 format; QLoRA with sft).")
    String quantMethod;
    @Option(names = "--quant_bits", description = "4 (with --quant_method bnb).") Integer quantBits;
    @Option(names = "--bnb_4bit_quant_type", defaultValue = "nf4", description = "nf4 (default) or fp4.") String quantType;
    @Option(names = "--bnb_4bit_use_double_quant", arity = "1", defaultValue = "true", description = "true (default) or false: 8-bit quantize the absmax too.")
    String doubleQuant;
    @Option(names = "--bnb_4bit_compute_dtype", description = "float32, bfloat16 or float16 (default: --torch_dtype, else the model's dtype).")
    String computeDtype;

    /** The quantization asked for, or null; {@code torchDtype} (may be null) and then the model's dtype set the default compute dtype. */
    QuantConfig4bit resolve(Path model, String torchDtype) throws IOException {
        if (quantMethod == null) {
            if (quantBits != null || computeDtype != null) throw new IllegalArgumentException("--quant_bits / --bnb_4bit_* need --quant_method bnb");
            return null;
        }
        if (!quantMethod.equals("bnb")) {
            throw new IllegalArgumentException("--quant_method " + quantMethod + " is not supported: jswift quantizes with bnb (bitsandbytes 4-bit)");
        }
        if (quantBits == null) throw new IllegalArgumentException("--quant_method bnb needs --quant_bits 4");
        if (quantBits != 4) throw new IllegalArgumentException("--quant_bits " + quantBits + " is not supported with bnb: use 4 (NF4 / FP4)");
        FourBitType type = FourBitType.fromName(quantType);
        if (type == null) throw new IllegalArgumentException("--bnb_4bit_quant_type must be nf4 or fp4, got '" + quantType + "'");
        boolean dq = switch (doubleQuant.toLowerCase()) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new IllegalArgumentException("--bnb_4bit_use_double_quant must be true or false, got '" + doubleQuant + "'");
        };
        String compute = computeDtype != null ? computeDtype : torchDtype;
        DType dtype = compute != null ? parse(compute, computeDtype != null ? "--bnb_4bit_compute_dtype" : "--torch_dtype") : modelDtype(model);
        return new QuantConfig4bit(type, dq, dtype);
    }

    private static DType parse(String name, String flag) {
        return switch (name) {
            case "float32", "fp32" -> DType.F32;
            case "bfloat16", "bf16" -> DType.BF16;
            case "float16", "fp16" -> DType.F16;
            default -> throw new IllegalArgumentException(flag + " must be float32, bfloat16 or float16, got '" + name + "'");
        };
    }

    private static DType modelDtype(Path model) throws IOException {
        return Architectures.readConfig(model).dtype();
    }
}
