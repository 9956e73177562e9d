// Shared by every jswift kernel program, after the driver's prelude (see DIALECT.md).

// Launch metadata passed by value: shapes and strides (KernelArg.Meta, Dialect.META_WORDS words).
#define META_WORDS 48
typedef struct { i64 w[META_WORDS]; } Meta;

#define I64_MAX ((i64) 0x7FFFFFFFFFFFFFFF)
#define I64_MIN (-I64_MAX - 1)

DEVICE_FN float bf16_to_float(u16 b) { return AS_FLOAT(((u32) b) << 16); }

// round to nearest even, NaN stays a quiet NaN (PyTorch's conversion)
DEVICE_FN u16 float_to_bf16(float f) {
    u32 u = AS_U32(f);
    if ((u & 0x7FFFFFFFu) > 0x7F800000u) return (u16) ((u >> 16) | 0x0040u);
    u += 0x7FFFu + ((u >> 16) & 1u);
    return (u16) (u >> 16);
}

// Element offset of row-major index idx in a tensor of `rank` dims whose shape is m->w[shapeAt ..] and strides
// m->w[stridesAt ..]; m points at the kernel's by-value Meta parameter (&meta).
DEVICE_FN idx_t strided_offset(idx_t idx, int rank, const Meta* m, int shapeAt, int stridesAt) {
    idx_t off = 0;
    for (int d = rank - 1; d >= 0; d--) {
        idx_t s = m->w[shapeAt + d];
        idx_t c = idx % s;
        idx /= s;
        off += c * m->w[stridesAt + d];
    }
    return off;
}
