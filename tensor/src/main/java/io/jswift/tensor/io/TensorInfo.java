package io.jswift.tensor.io;

import io.jswift.tensor.DType;

/** One header entry: dtype, shape and the byte range [begin, end) inside the data section. */
public record TensorInfo(String name, DType dtype, int[] shape, long begin, long end) {}
