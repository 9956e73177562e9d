// Shared by every jswift OpenCL program.

inline float bf16_to_float(ushort b) { return as_float(((uint) b) << 16); }

// round to nearest even, NaN stays a quiet NaN (PyTorch's conversion)
inline ushort float_to_bf16(float f) {
    uint u = as_uint(f);
    if ((u & 0x7FFFFFFFu) > 0x7F800000u) return (ushort) ((u >> 16) | 0x0040u);
    u += 0x7FFFu + ((u >> 16) & 1u);
    return (ushort) (u >> 16);
}

// Element offset of row-major index idx in a tensor of the given shape and strides (rank dims).
inline long strided_offset(long idx, int rank, __global const long* shape, __global const long* strides) {
    long off = 0;
    for (int d = rank - 1; d >= 0; d--) {
        long s = shape[d];
        long c = idx % s;
        idx /= s;
        off += c * strides[d];
    }
    return off;
}
