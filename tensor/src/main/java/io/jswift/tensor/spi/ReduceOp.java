package io.jswift.tensor.spi;

/** Reductions over a set of dims; accumulation is at least f32 (f64 for F64 inputs). */
public enum ReduceOp { SUM, MEAN, MAX, MIN }
