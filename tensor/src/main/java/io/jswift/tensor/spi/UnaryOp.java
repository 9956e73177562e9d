package io.jswift.tensor.spi;

/** Elementwise functions of one argument. GELU is the exact erf form; GELU_TANH the tanh approximation. */
public enum UnaryOp {
    NEG, ABS, SIGN, EXP, LOG, SQRT, RSQRT, RECIPROCAL, SQUARE, SIN, COS, TANH, SIGMOID, SILU, RELU, GELU, GELU_TANH, ERF
}
