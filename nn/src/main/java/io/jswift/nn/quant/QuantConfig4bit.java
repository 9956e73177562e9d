package io.jswift.nn.quant;

import io.jswift.tensor.DType;
import io.jswift.tensor.quant.FourBitType;

/**
 * How to quantize linear weights to 4 bits (transformers' BitsAndBytesConfig with load_in_4bit): the code type
 * ({@code bnb_4bit_quant_type}), double quantization of the absmax ({@code bnb_4bit_use_double_quant}) and the dtype
 * the layers compute in ({@code bnb_4bit_compute_dtype}).
 */
public record QuantConfig4bit(FourBitType type, boolean doubleQuant, DType computeDtype) {}
