// Batched matrix products C[z] = op(A)[z] · op(B)[z] (see Gemm.java). Dims: M rows of C, N columns of C, K the
// reduced dim, z the batch index (z0 plus the grid's z: a launch covers at most 65535 batches). op(A) element (m, k) is at m*sAm + k*sAk, op(B) element
// (k, n) at k*sBk + n*sBn, so transposes and strided views are only different strides (0 = broadcast); C is
// dense M×N at cOff + z*M*N. meta = batch shape[batchRank], A batch strides[batchRank], B batch strides[batchRank].
// aAlongK / bAlongN say which dim of each operand is unit-stride: adjacent work items then read adjacent addresses.
//
// Compile-time: REAL (float, double for f64), the A_/B_/C_ type macros, IDX (i32 when every in-matrix offset
// fits 31 bits, else i64), TM TN TK WM WN (gemm_tiled's tiling, see GemmTiling)
// or GEMV_COLS GEMV_SLICES (gemv_small_m's block): each program holds the kernel its defines select.

#define A_AT(m, k) ((IDX) (m) * (IDX) sAm + (IDX) (k) * (IDX) sAk)
#define B_AT(k, n) ((IDX) (k) * (IDX) sBk + (IDX) (n) * (IDX) sBn)

#define RM (TM / WM)
#define RN (TN / WN)
#define THREADS (RM * RN)

#ifdef TM
// A work-group computes a TM×TN tile of C with RN×RM work items, each keeping a WM×WN block of accumulators in
// registers. The K loop stages a TK-deep slice of op(A) (TK×TM) and op(B) (TK×TN) in shared memory, reading
// along whichever dim is unit-stride; elements past the matrix edges are staged as 0.
KERNEL void BOUNDS(RN, RM) gemm_tiled(GLOBAL const A_T* a, i64 aOff, GLOBAL const B_T* b, i64 bOff, GLOBAL C_T* c,
                i64 cOff, int M, int N, int K, i64 sAm, i64 sAk, i64 sBk, i64 sBn, int aAlongK, int bAlongN,
                const Meta meta, int batchRank, i64 z0) {
    // +1 column: a load that transposes (along k) then writes distinct local banks
    SHARED REAL As[TK][TM + 1];
    SHARED REAL Bs[TK][TN + 1];

    const int tn = LID(0), tm = LID(1);
    const int tid = tm * RN + tn;
    const int m0 = GROUP_ID(1) * TM, n0 = GROUP_ID(0) * TN;
    const i64 z = z0 + GROUP_ID(2);
    a += aOff + strided_offset(z, batchRank, &meta, 0, batchRank);
    b += bOff + strided_offset(z, batchRank, &meta, 0, 2 * batchRank);
    c += cOff + z * (i64) M * N;

    REAL acc[WM][WN];
    #pragma unroll
    for (int i = 0; i < WM; i++) {
        #pragma unroll
        for (int j = 0; j < WN; j++) acc[i][j] = 0;
    }

    for (int k0 = 0; k0 < K; k0 += TK) {
        for (int e = tid; e < TM * TK; e += THREADS) {
            const int kk = aAlongK ? e % TK : e / TM, mm = aAlongK ? e / TK : e % TM;
            const int m = m0 + mm, k = k0 + kk;
            REAL v = 0;
            if (m < M && k < K) v = (REAL) A_LOAD(a, A_AT(m, k));
            As[kk][mm] = v;
        }
        for (int e = tid; e < TN * TK; e += THREADS) {
            const int kk = bAlongN ? e / TN : e % TK, nn = bAlongN ? e % TN : e / TK;
            const int n = n0 + nn, k = k0 + kk;
            REAL v = 0;
            if (n < N && k < K) v = (REAL) B_LOAD(b, B_AT(k, n));
            Bs[kk][nn] = v;
        }
        BARRIER();

        #pragma unroll
        for (int kk = 0; kk < TK; kk++) {
            REAL ar[WM], br[WN];
            #pragma unroll
            for (int i = 0; i < WM; i++) ar[i] = As[kk][tm + i * RM];
            #pragma unroll
            for (int j = 0; j < WN; j++) br[j] = Bs[kk][tn + j * RN];
            #pragma unroll
            for (int i = 0; i < WM; i++) {
                #pragma unroll
                for (int j = 0; j < WN; j++) acc[i][j] += ar[i] * br[j];
            }
        }
        BARRIER();
    }

    // work item (tn, tm) owns rows m0 + tm + i*RM and columns n0 + tn + j*RN: adjacent work items store adjacent columns
    #pragma unroll
    for (int i = 0; i < WM; i++) {
        const int m = m0 + tm + i * RM;
        if (m >= M) continue;
        #pragma unroll
        for (int j = 0; j < WN; j++) {
            const int n = n0 + tn + j * RN;
            if (n < N) C_STORE(c, (i64) m * N + n, acc[i][j]);
        }
    }
}
#endif

#define GEMV_ROWS 4

#ifdef GEMV_COLS
// Small M (decode: one to GEMV_ROWS rows of activations against a weight matrix). A work-group covers `cols`
// columns of C with `slices` work items per column: work item (column, slice) sums k = slice, slice + slices, ...
// for every row, then the slices are added in shared memory (a tree: slices is a power of two). Local dim 0 runs
// along op(B)'s unit-stride dim (k for nn.Linear weights [out, in] read with transB, n otherwise) so loads
// coalesce; column groups run along dim 0 in both cases. GEMV_COLS and GEMV_SLICES are the block's shape.
KERNEL void gemv_small_m(GLOBAL const A_T* a, i64 aOff, GLOBAL const B_T* b, i64 bOff, GLOBAL C_T* c, i64 cOff,
                           int M, int N, int K, i64 sAm, i64 sAk, i64 sBk, i64 sBn, int aAlongK, int bAlongN,
                         const Meta meta, int batchRank, i64 z0) {
    SHARED REAL partial[GEMV_COLS * GEMV_SLICES * GEMV_ROWS];
    const int cols = bAlongN ? LOCAL_SIZE(0) : LOCAL_SIZE(1);
    const int slices = bAlongN ? LOCAL_SIZE(1) : LOCAL_SIZE(0);
    const int col = bAlongN ? LID(0) : LID(1);
    const int slice = bAlongN ? LID(1) : LID(0);
    const int n = GROUP_ID(0) * cols + col;
    const i64 z = z0 + GROUP_ID(2);
    a += aOff + strided_offset(z, batchRank, &meta, 0, batchRank);
    b += bOff + strided_offset(z, batchRank, &meta, 0, 2 * batchRank);
    c += cOff + z * (i64) M * N;

    REAL acc[GEMV_ROWS];
    #pragma unroll
    for (int i = 0; i < GEMV_ROWS; i++) acc[i] = 0;
    if (n < N) {
        for (int k = slice; k < K; k += slices) {
            const REAL bv = (REAL) B_LOAD(b, B_AT(k, n));
            #pragma unroll
            for (int i = 0; i < GEMV_ROWS; i++) {
                if (i < M) acc[i] += (REAL) A_LOAD(a, A_AT(i, k)) * bv;
            }
        }
    }

    // every work item reaches each barrier (columns past N carry zeros)
    SHARED_PTR REAL* mine = partial + (slice * cols + col) * GEMV_ROWS;
    #pragma unroll
    for (int i = 0; i < GEMV_ROWS; i++) mine[i] = acc[i];
    for (int s = slices / 2; s > 0; s >>= 1) {
        BARRIER();
        if (slice < s) {
            SHARED_PTR const REAL* other = partial + ((slice + s) * cols + col) * GEMV_ROWS;
            #pragma unroll
            for (int i = 0; i < GEMV_ROWS; i++) mine[i] += other[i];
        }
    }
    if (slice == 0 && n < N) {
        for (int i = 0; i < M; i++) C_STORE(c, (i64) i * N + n, mine[i]);
    }
}
#endif
