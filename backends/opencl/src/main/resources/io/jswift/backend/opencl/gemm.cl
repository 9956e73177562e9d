// Batched matrix products C[z] = op(A)[z] · op(B)[z] (see ClGemm). Dims: M rows of C, N columns of C, K the
// reduced dim, z the batch index (third NDRange dim). op(A) element (m, k) is at m*sAm + k*sAk, op(B) element
// (k, n) at k*sBk + n*sBn, so transposes and strided views are only different strides (0 = broadcast); C is
// dense M×N at cOff + z*M*N. meta = batch shape[batchRank], A batch strides[batchRank], B batch strides[batchRank].
// aAlongK / bAlongN say which dim of each operand is unit-stride: adjacent work items then read adjacent addresses.
//
// Compile-time: REAL (float, double for f64), the A_/B_/C_ type macros, IDX (int when every in-matrix offset
// fits 31 bits, else long), TM TN TK WM WN (gemm_tiled's tiling, see ClGemmTiling).

#define A_AT(m, k) ((IDX) (m) * (IDX) sAm + (IDX) (k) * (IDX) sAk)
#define B_AT(k, n) ((IDX) (k) * (IDX) sBk + (IDX) (n) * (IDX) sBn)

#define RM (TM / WM)
#define RN (TN / WN)
#define THREADS (RM * RN)

// A work-group computes a TM×TN tile of C with RN×RM work items, each keeping a WM×WN block of accumulators in
// registers. The K loop stages a TK-deep slice of op(A) (TK×TM) and op(B) (TK×TN) in __local memory, reading
// along whichever dim is unit-stride; elements past the matrix edges are staged as 0.
__kernel __attribute__((reqd_work_group_size(RN, RM, 1)))
void gemm_tiled(__global const A_T* a, long aOff, __global const B_T* b, long bOff, __global C_T* c, long cOff,
                int M, int N, int K, long sAm, long sAk, long sBk, long sBn, int aAlongK, int bAlongN,
                __global const long* meta, int batchRank) {
    // +1 column: a load that transposes (along k) then writes distinct local banks
    __local REAL As[TK][TM + 1];
    __local REAL Bs[TK][TN + 1];

    const int tn = get_local_id(0), tm = get_local_id(1);
    const int tid = tm * RN + tn;
    const int m0 = get_group_id(1) * TM, n0 = get_group_id(0) * TN;
    const long z = get_global_id(2);
    a += aOff + strided_offset(z, batchRank, meta, meta + batchRank);
    b += bOff + strided_offset(z, batchRank, meta, meta + 2 * batchRank);
    c += cOff + z * (long) M * N;

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
        barrier(CLK_LOCAL_MEM_FENCE);

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
        barrier(CLK_LOCAL_MEM_FENCE);
    }

    // work item (tn, tm) owns rows m0 + tm + i*RM and columns n0 + tn + j*RN: adjacent work items store adjacent columns
    #pragma unroll
    for (int i = 0; i < WM; i++) {
        const int m = m0 + tm + i * RM;
        if (m >= M) continue;
        #pragma unroll
        for (int j = 0; j < WN; j++) {
            const int n = n0 + tn + j * RN;
            if (n < N) C_STORE(c, (long) m * N + n, acc[i][j]);
        }
    }
}

#define GEMV_ROWS 4

// Small M (decode: one to GEMV_ROWS rows of activations against a weight matrix). A work-group covers `cols`
// columns of C with `slices` work items per column: work item (column, slice) sums k = slice, slice + slices, ...
// for every row, then the slices are added in __local memory (a tree: slices is a power of two). Local dim 0 runs
// along op(B)'s unit-stride dim (k for nn.Linear weights [out, in] read with transB, n otherwise) so loads
// coalesce; column groups run along dim 0 in both cases. partial holds slices*cols*GEMV_ROWS reals.
__kernel void gemv_small_m(__global const A_T* a, long aOff, __global const B_T* b, long bOff, __global C_T* c, long cOff,
                           int M, int N, int K, long sAm, long sAk, long sBk, long sBn, int aAlongK, int bAlongN,
                           __global const long* meta, int batchRank, __local REAL* partial) {
    const int cols = bAlongN ? get_local_size(0) : get_local_size(1);
    const int slices = bAlongN ? get_local_size(1) : get_local_size(0);
    const int col = bAlongN ? get_local_id(0) : get_local_id(1);
    const int slice = bAlongN ? get_local_id(1) : get_local_id(0);
    const int n = get_group_id(0) * cols + col;
    const long z = get_global_id(2);
    a += aOff + strided_offset(z, batchRank, meta, meta + batchRank);
    b += bOff + strided_offset(z, batchRank, meta, meta + 2 * batchRank);
    c += cOff + z * (long) M * N;

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
    __local REAL* mine = partial + (slice * cols + col) * GEMV_ROWS;
    #pragma unroll
    for (int i = 0; i < GEMV_ROWS; i++) mine[i] = acc[i];
    for (int s = slices / 2; s > 0; s >>= 1) {
        barrier(CLK_LOCAL_MEM_FENCE);
        if (slice < s) {
            __local const REAL* other = partial + ((slice + s) * cols + col) * GEMV_ROWS;
            #pragma unroll
            for (int i = 0; i < GEMV_ROWS; i++) mine[i] += other[i];
        }
    }
    if (slice == 0 && n < N) {
        for (int i = 0; i < M; i++) C_STORE(c, (long) i * N + n, mine[i]);
    }
}
