// bitsandbytes 4-bit weights (Backend.dequantize4bit / matmul4bit; reference: QuantReference). The weight is n = N·K
// elements in row-major order, packed two a byte with the first element of a byte in its high nibble (bnb's layout),
// one float32 absmax per block of BLOCKSIZE elements. An element is CODES[nibble] · absmax in float32 (one product),
// rounded once to the weight's dtype.
// Defines: CODES (the 16-entry code table as a float initializer, from FourBitType.table()); the absmax either plain
// (a float per block) or, with NESTED, bnb's double quantization kept as 8-bit codes: absmax[b] =
// code2[codes[b]] · absmax2[b / blocksize2] in float32, then + offset (two roundings, as dequantize_blockwise then
// the add). Dequantize: OUT. GEMV: X (activations), Y (result), W_BF16 when each weight is rounded to bf16
// (a bf16 weight dtype; f32 weights otherwise), GROUP (threads a block), ROWS (the most rows of x a launch takes).

#ifdef NESTED
#define ABSMAX_PARAMS GLOBAL const u8* codes, GLOBAL const float* absmax2, GLOBAL const float* code2, i64 blocksize2, float offset
#define ABSMAX_ARGS codes, absmax2, code2, blocksize2, offset
DEVICE_FN float block_absmax(GLOBAL const u8* codes, GLOBAL const float* absmax2, GLOBAL const float* code2,
                             i64 blocksize2, float offset, idx_t b) {
    // volatile keeps the product rounded apart from the add: OpenCL C may contract a*b + c within an expression and
    // CUDA's --fmad across statements, and one fma would change absmax's last bit (once a block, so the cost is nil)
    volatile float scaled = code2[codes[b]] * absmax2[b / blocksize2];
    return scaled + offset;
}
#else
#define ABSMAX_PARAMS GLOBAL const float* absmax
#define ABSMAX_ARGS absmax
DEVICE_FN float block_absmax(GLOBAL const float* absmax, idx_t b) { return absmax[b]; }
#endif

// The code table in shared memory (a private array indexed by the nibble would live in local memory): every
// thread of the block calls this before its first lookup, in uniform control flow (it holds a barrier).
DEVICE_FN void load_codes(SHARED_PTR float* table) {
    const float codes[16] = CODES;
    for (int i = LID(0); i < 16; i += LOCAL_SIZE(0)) table[i] = codes[i];
    BARRIER();
}

// the code of element e of the weight (its value before the absmax)
DEVICE_FN float code_of(SHARED_PTR const float* table, GLOBAL const u8* packed, idx_t e) {
    u8 byte = packed[e >> 1];
    return table[(e & 1) ? (byte & 15) : (byte >> 4)];
}

#ifdef OUT_T
// One thread per packed byte: elements 2j (high nibble) and 2j + 1 (low nibble, if it exists).
KERNEL void dequantize4bit(GLOBAL const u8* packed, ABSMAX_PARAMS, GLOBAL OUT_T* out, i64 n, i64 blocksize) {
    SHARED float table[16];
    load_codes(table);
    idx_t j = GID(0);
    if (2 * j >= n) return;
    for (idx_t e = 2 * j; e < 2 * j + 2 && e < n; e++) {
        float v = code_of(table, packed, e) * block_absmax(ABSMAX_ARGS, e / blocksize);
        OUT_STORE(out, e, v);
    }
}
#endif

#ifdef Y_T
#ifdef W_BF16
#define W_ROUND(v) bf16_to_float(float_to_bf16(v))
#else
#define W_ROUND(v) (v)
#endif

// y [M, N] = x [M, K] · Wᵀ for M <= ROWS (the decode GEMV, bnb's gemv_4bit): one block per weight row, each thread
// decodes every GROUP-th weight of the row once and multiplies it into the M sums it owns; the partial sums of the
// block are then added up a tree in shared memory (f32; another order than a GEMM's, so the last bits may differ).
KERNEL void BOUNDS(GROUP, 1) matmul4bit_rows(GLOBAL const X_T* x, GLOBAL const u8* packed, ABSMAX_PARAMS,
                                            GLOBAL Y_T* y, int m, i64 n, i64 k, i64 blocksize) {
    SHARED float partial[ROWS * GROUP];
    SHARED float table[16];
    load_codes(table);
    idx_t row = GROUP_ID(0);
    int lid = LID(0);
    float acc[ROWS];
#pragma unroll
    for (int i = 0; i < ROWS; i++) acc[i] = 0;
    idx_t cachedBlock = -1;
    float scale = 0;
    for (idx_t c = lid; c < k; c += GROUP) {
        idx_t e = row * k + c, b = e / blocksize;
        if (b != cachedBlock) {
            scale = block_absmax(ABSMAX_ARGS, b);
            cachedBlock = b;
        }
        float w = W_ROUND(code_of(table, packed, e) * scale);
#pragma unroll
        for (int i = 0; i < ROWS; i++) {
            if (i < m) acc[i] += w * X_LOAD(x, i * k + c);
        }
    }
#pragma unroll
    for (int i = 0; i < ROWS; i++) partial[i * GROUP + lid] = acc[i];
    BARRIER();
    for (int s = GROUP / 2; s > 0; s >>= 1) {
        if (lid < s) {
#pragma unroll
            for (int i = 0; i < ROWS; i++) partial[i * GROUP + lid] += partial[i * GROUP + lid + s];
        }
        BARRIER();
    }
    if (lid < m) Y_STORE(y, lid * n + row, partial[lid * GROUP]);
}
#endif
