package io.jswift.tensor.spi;

/** Elementwise functions of two broadcast arguments. Comparisons produce {@code BOOL}. */
public enum BinaryOp {
    ADD, SUB, MUL, DIV, MAX, MIN, POW, EQ, NE, LT, LE, GT, GE;

    public boolean isComparison() { return ordinal() >= EQ.ordinal(); }
}
