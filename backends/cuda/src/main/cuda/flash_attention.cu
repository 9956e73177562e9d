// Flash attention forward and backward on tensor cores (CUDA only; the portable kernels of backends/gpu remain the
// path for every other case). FlashAttention-2's algorithm (Dao 2023): the forward walks key tiles with an online
// softmax (running max m, running sum l, the output rescaled when m grows) and saves lse = m + log l; the backward
// recomputes P = exp(S·scale - lse) per tile and, one CTA per key tile, accumulates dV += Pᵀ·dO and dK += dSᵀ·Q in
// registers over the whole GQA group, while dQ += dS·K goes to an f32 buffer with atomics (FA-2 §3.2), converted
// to q's dtype by flash_dq_convert. The products run on wmma 16x16x16 (bf16/f16 in, f32 accumulate); the softmax
// goes through shared memory because wmma's accumulator layout is opaque (mma.sync with register-resident
// softmax, as FA-2 proper, is the next step for speed, not for semantics).
// Semantics are the CPU backend's fused attention (AttentionKernels) and AttentionSpec: scale multiplies q·k;
// causal: query i (of T) sees key j (of S) iff j <= i + S - T; a sliding window > 0 further needs i + S - T - j <
// window; with segments qseg[b, i] == kseg[b, j]; a row that sees no key gets output 0 and lse -inf. No soft-cap
// (the host falls back for it, as the CPU backend does).
// Dims: B batch, Hq/Hkv heads (group = Hq / Hkv), T queries, S keys, D head dim; BQ/BK query/key rows per tile.
#include <mma.h>
#include <math.h>
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include "flash_params.cuh"

using namespace nvcuda;

namespace {

constexpr int WARPS = 4;
constexpr int THREADS = WARPS * 32;
constexpr int FWD_BQ = 64;   // 16 query rows per warp
constexpr int FWD_BK = 64;
constexpr int BWD_BQ = 32;
constexpr int BWD_BK = 64;   // 16 key rows per warp (the warp's dK/dV fragments)
constexpr float NEG_INF = -INFINITY;

// Padded leading dimensions: a multiple of 8 halves / 4 floats for wmma, and off the 32-bank stride.
template <int D> struct Ld {
    static constexpr int T16 = D + 8;             // q, k, v, dO tiles (16-bit elements)
    static constexpr int O32 = D + 4;             // f32 rows of D
};
constexpr int LDS_F = FWD_BK + 4;                 // f32 score rows of 64 keys
constexpr int LDP_H = FWD_BK + 8;                 // 16-bit P / dS rows of 64 keys

// Byte offsets of the dynamic shared-memory regions; every region starts 128-byte aligned (wmma wants 32).
// The host reads the totals from the module (flash_smem_* below) instead of repeating this arithmetic.
constexpr long long align128(long long x) { return (x + 127) / 128 * 128; }
template <int D> struct FwdLayout {
    static constexpr long long Q = 0;
    static constexpr long long K = align128(Q + 2LL * FWD_BQ * Ld<D>::T16);
    static constexpr long long V = align128(K + 2LL * FWD_BK * Ld<D>::T16);
    static constexpr long long S = align128(V + 2LL * FWD_BK * Ld<D>::T16);
    static constexpr long long P = align128(S + 4LL * FWD_BQ * LDS_F);
    static constexpr long long O = align128(P + 2LL * FWD_BQ * LDP_H);
    static constexpr long long M = align128(O + 4LL * FWD_BQ * Ld<D>::O32);
    static constexpr long long BYTES = align128(M + 4LL * 3 * FWD_BQ);          // m, l, alpha
};
template <int D> struct BwdLayout {
    static constexpr long long K = 0;
    static constexpr long long V = align128(K + 2LL * BWD_BK * Ld<D>::T16);
    static constexpr long long Q = align128(V + 2LL * BWD_BK * Ld<D>::T16);
    static constexpr long long G = align128(Q + 2LL * BWD_BQ * Ld<D>::T16);
    static constexpr long long S = align128(G + 2LL * BWD_BQ * Ld<D>::T16);
    static constexpr long long DP = align128(S + 4LL * BWD_BQ * LDS_F);
    static constexpr long long P = align128(DP + 4LL * BWD_BQ * LDS_F);
    static constexpr long long DS = align128(P + 2LL * BWD_BQ * LDP_H);
    static constexpr long long DQ = align128(DS + 2LL * BWD_BQ * LDP_H);
    static constexpr long long LSE = align128(DQ + 4LL * BWD_BQ * Ld<D>::O32);
    static constexpr long long FRAG = align128(LSE + 4LL * 2 * BWD_BQ);        // lse, delta
    static constexpr long long BYTES = align128(FRAG + 4LL * WARPS * 256);
};

template <typename T> __device__ __forceinline__ float to_f(T x);
template <> __device__ __forceinline__ float to_f<__nv_bfloat16>(__nv_bfloat16 x) { return __bfloat162float(x); }
template <> __device__ __forceinline__ float to_f<__half>(__half x) { return __half2float(x); }
template <typename T> __device__ __forceinline__ T from_f(float x);
template <> __device__ __forceinline__ __nv_bfloat16 from_f<__nv_bfloat16>(float x) { return __float2bfloat16_rn(x); }
template <> __device__ __forceinline__ __half from_f<__half>(float x) { return __float2half_rn(x); }

__device__ __forceinline__ float warp_max(float x) {
    for (int o = 16; o > 0; o >>= 1) x = fmaxf(x, __shfl_xor_sync(0xffffffffu, x, o));
    return x;
}
__device__ __forceinline__ float warp_sum(float x) {
    for (int o = 16; o > 0; o >>= 1) x += __shfl_xor_sync(0xffffffffu, x, o);
    return x;
}

// Whether query i sees key j: AttentionSpec.visible plus the segment rule.
__device__ __forceinline__ bool sees(const FlashParams& p, long long b, long long i, long long j) {
    if (p.causal) {
        long long pos = i + p.S - p.T;
        if (j > pos) return false;
        if (p.window > 0 && pos - j >= p.window) return false;
    }
    if (p.has_seg && p.qseg[b * p.qseg_sb + i] != p.kseg[b * p.kseg_sb + j]) return false;
    return true;
}

// rows [r0, r0 + n) of a [rows, D] head (element stride st, head dim contiguous) into a tile with leading dim ld;
// rows at or past `limit` are zero. 16-byte vector copies (8 elements): D is a multiple of 16.
template <typename T, int D>
__device__ __forceinline__ void load_rows(T* tile, int ld, const T* src, long long st, long long r0, int n, long long limit) {
    constexpr int VEC = 8, PER_ROW = D / VEC;
    for (int idx = threadIdx.x; idx < n * PER_ROW; idx += THREADS) {
        int r = idx / PER_ROW, c = (idx % PER_ROW) * VEC;
        uint4 val = make_uint4(0, 0, 0, 0);
        if (r0 + r < limit) val = *reinterpret_cast<const uint4*>(src + (r0 + r) * st + c);
        *reinterpret_cast<uint4*>(tile + r * ld + c) = val;
    }
}

// The host checks 16-byte alignment of every head row (offsets and strides multiples of 8 elements) before
// choosing these kernels.
template <typename T, int D>
__device__ void forward(const FlashParams& p) {
    constexpr int LDT = Ld<D>::T16, LDO = Ld<D>::O32;
    using L = FwdLayout<D>;
    extern __shared__ __align__(128) unsigned char smem[];
    T* sQ = reinterpret_cast<T*>(smem + L::Q);
    T* sK = reinterpret_cast<T*>(smem + L::K);
    T* sV = reinterpret_cast<T*>(smem + L::V);
    float* sS = reinterpret_cast<float*>(smem + L::S);
    T* sP = reinterpret_cast<T*>(smem + L::P);
    float* sO = reinterpret_cast<float*>(smem + L::O);
    float* sM = reinterpret_cast<float*>(smem + L::M);
    float* sL = sM + FWD_BQ;
    float* sAlpha = sL + FWD_BQ;

    const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
    const long long q0 = (long long) blockIdx.x * FWD_BQ, h = blockIdx.y, b = blockIdx.z, hk = h / p.group;
    const T* q = static_cast<const T*>(p.q) + b * p.q_sb + h * p.q_sh;
    const T* k = static_cast<const T*>(p.k) + b * p.k_sb + hk * p.k_sh;
    const T* v = static_cast<const T*>(p.v) + b * p.v_sb + hk * p.v_sh;
    const float scale = (float) p.scale;

    load_rows<T, D>(sQ, LDT, q, p.q_st, q0, FWD_BQ, p.T);
    for (int idx = threadIdx.x; idx < FWD_BQ * D; idx += THREADS) sO[(idx / D) * LDO + idx % D] = 0.f;
    for (int r = threadIdx.x; r < FWD_BQ; r += THREADS) { sM[r] = NEG_INF; sL[r] = 0.f; }

    // Key tiles this query tile can see by position (segments are checked per element).
    long long lastRow = min(q0 + FWD_BQ, p.T) - 1;
    long long kLo = 0, kHi = p.S;
    if (p.causal) {
        kHi = min(p.S, lastRow + p.S - p.T + 1);
        if (p.window > 0) kLo = max(0LL, q0 + p.S - p.T - p.window + 1);
    }
    for (long long k0 = (kLo / FWD_BK) * FWD_BK; k0 < kHi; k0 += FWD_BK) {
        load_rows<T, D>(sK, LDT, k, p.k_st, k0, FWD_BK, p.S);
        load_rows<T, D>(sV, LDT, v, p.v_st, k0, FWD_BK, p.S);
        __syncthreads();

        // S = Q·Kᵀ for the warp's 16 rows
        for (int n = 0; n < FWD_BK / 16; n++) {
            wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc;
            wmma::fill_fragment(acc, 0.f);
            for (int kk = 0; kk < D / 16; kk++) {
                wmma::fragment<wmma::matrix_a, 16, 16, 16, T, wmma::row_major> a;
                wmma::fragment<wmma::matrix_b, 16, 16, 16, T, wmma::col_major> bt;
                wmma::load_matrix_sync(a, sQ + warp * 16 * LDT + kk * 16, LDT);
                wmma::load_matrix_sync(bt, sK + n * 16 * LDT + kk * 16, LDT);
                wmma::mma_sync(acc, a, bt, acc);
            }
            wmma::store_matrix_sync(sS + warp * 16 * LDS_F + n * 16, acc, LDS_F, wmma::mem_row_major);
        }
        __syncwarp();

        // online softmax of the warp's rows: lanes take keys lane and lane + 32
        for (int r = 0; r < 16; r++) {
            int row = warp * 16 + r;
            long long i = q0 + row;
            float x[2];
            bool ok[2];
            for (int e = 0; e < 2; e++) {
                int c = lane + 32 * e;
                long long j = k0 + c;
                ok[e] = i < p.T && j < p.S && sees(p, b, i, j);
                x[e] = ok[e] ? sS[row * LDS_F + c] * scale : NEG_INF;
            }
            float mOld = sM[row], mNew = fmaxf(mOld, warp_max(fmaxf(x[0], x[1])));
            float pe[2], alpha;
            if (mNew == NEG_INF) { pe[0] = pe[1] = 0.f; alpha = 1.f; }     // nothing seen yet
            else {
                for (int e = 0; e < 2; e++) pe[e] = ok[e] ? __expf(x[e] - mNew) : 0.f;
                alpha = __expf(mOld - mNew);                                  // 0 when mOld = -inf
            }
            float sum = warp_sum(pe[0] + pe[1]);
            for (int e = 0; e < 2; e++) sP[row * LDP_H + lane + 32 * e] = from_f<T>(pe[e]);
            if (lane == 0) { sM[row] = mNew; sL[row] = sL[row] * alpha + sum; sAlpha[row] = alpha; }
        }
        __syncwarp();
        for (int idx = lane; idx < 16 * D; idx += 32) {
            int row = warp * 16 + idx / D;
            sO[row * LDO + idx % D] *= sAlpha[row];
        }
        __syncwarp();

        // O += P·V for the warp's rows
        for (int n = 0; n < D / 16; n++) {
            wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc;
            wmma::load_matrix_sync(acc, sO + warp * 16 * LDO + n * 16, LDO, wmma::mem_row_major);
            for (int kk = 0; kk < FWD_BK / 16; kk++) {
                wmma::fragment<wmma::matrix_a, 16, 16, 16, T, wmma::row_major> a;
                wmma::fragment<wmma::matrix_b, 16, 16, 16, T, wmma::row_major> bv;
                wmma::load_matrix_sync(a, sP + warp * 16 * LDP_H + kk * 16, LDP_H);
                wmma::load_matrix_sync(bv, sV + kk * 16 * LDT + n * 16, LDT);
                wmma::mma_sync(acc, a, bv, acc);
            }
            wmma::store_matrix_sync(sO + warp * 16 * LDO + n * 16, acc, LDO, wmma::mem_row_major);
        }
        __syncthreads();   // K and V are overwritten next
    }

    T* out = static_cast<T*>(p.out) + ((b * p.Hq + h) * p.T) * D;
    float* lse = p.lse + (b * p.Hq + h) * p.T;
    for (int r = 0; r < 16; r++) {
        int row = warp * 16 + r;
        long long i = q0 + row;
        if (i >= p.T) break;
        float l = sL[row], inv = l > 0.f ? 1.f / l : 0.f;
        for (int c = lane; c < D; c += 32) out[i * D + c] = from_f<T>(sO[row * LDO + c] * inv);
        if (lane == 0) lse[i] = l > 0.f ? sM[row] + logf(l) : NEG_INF;
    }
}

// D_i = dO_i · O_i (f32), one warp per row; rows = B·Hq·T.
template <typename T, int D>
__device__ void delta(const FlashParams& p) {
    long long row = ((long long) blockIdx.x * THREADS + threadIdx.x) / 32;
    int lane = threadIdx.x % 32;
    if (row >= p.B * p.Hq * p.T) return;
    long long i = row % p.T, bh = row / p.T, h = bh % p.Hq, b = bh / p.Hq;
    const T* o = static_cast<const T*>(p.o) + b * p.o_sb + h * p.o_sh + i * p.o_st;
    const T* g = static_cast<const T*>(p.dout) + b * p.do_sb + h * p.do_sh + i * p.do_st;
    float s = 0.f;
    for (int c = lane; c < D; c += 32) s += to_f<T>(o[c]) * to_f<T>(g[c]);
    s = warp_sum(s);
    if (lane == 0) p.delta[row] = s;
}

template <typename T, int D>
__device__ void backward(const FlashParams& p) {
    constexpr int LDT = Ld<D>::T16, LDO = Ld<D>::O32, NF = D / 16;
    using L = BwdLayout<D>;
    extern __shared__ __align__(128) unsigned char smem[];
    T* sK = reinterpret_cast<T*>(smem + L::K);
    T* sV = reinterpret_cast<T*>(smem + L::V);
    T* sQ = reinterpret_cast<T*>(smem + L::Q);
    T* sG = reinterpret_cast<T*>(smem + L::G);         // dO
    float* sS = reinterpret_cast<float*>(smem + L::S);
    float* sDP = reinterpret_cast<float*>(smem + L::DP);
    T* sP = reinterpret_cast<T*>(smem + L::P);
    T* sDS = reinterpret_cast<T*>(smem + L::DS);
    float* sDQ = reinterpret_cast<float*>(smem + L::DQ);
    float* sLse = reinterpret_cast<float*>(smem + L::LSE);
    float* sDelta = sLse + BWD_BQ;
    float* sFrag = reinterpret_cast<float*>(smem + L::FRAG);  // [WARPS][16 * 16] staging of the final dK/dV fragments

    const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
    const long long k0 = (long long) blockIdx.x * BWD_BK, hk = blockIdx.y, b = blockIdx.z;
    const float scale = (float) p.scale;
    const T* k = static_cast<const T*>(p.k) + b * p.k_sb + hk * p.k_sh;
    const T* v = static_cast<const T*>(p.v) + b * p.v_sb + hk * p.v_sh;
    load_rows<T, D>(sK, LDT, k, p.k_st, k0, BWD_BK, p.S);
    load_rows<T, D>(sV, LDT, v, p.v_st, k0, BWD_BK, p.S);

    wmma::fragment<wmma::accumulator, 16, 16, 16, float> dK[NF], dV[NF];
    for (int n = 0; n < NF; n++) { wmma::fill_fragment(dK[n], 0.f); wmma::fill_fragment(dV[n], 0.f); }

    // Query tiles that can see this key tile by position.
    long long lastKey = min(k0 + BWD_BK, p.S) - 1, qLo = 0, qHi = p.T;
    if (p.causal) {
        qLo = max(0LL, k0 - (p.S - p.T));
        if (p.window > 0) qHi = min(p.T, lastKey + p.window - (p.S - p.T));
    }
    for (long long g = 0; g < p.group; g++) {
        const long long h = hk * p.group + g;
        const T* q = static_cast<const T*>(p.q) + b * p.q_sb + h * p.q_sh;
        const T* dO = static_cast<const T*>(p.dout) + b * p.do_sb + h * p.do_sh;
        const float* lse = p.lse + b * p.lse_sb + h * p.lse_sh;
        const float* dl = p.delta + (b * p.Hq + h) * p.T;
        float* dqAcc = p.dq_acc + ((b * p.Hq + h) * p.T) * D;
        for (long long q0 = (qLo / BWD_BQ) * BWD_BQ; q0 < qHi; q0 += BWD_BQ) {
            load_rows<T, D>(sQ, LDT, q, p.q_st, q0, BWD_BQ, p.T);
            load_rows<T, D>(sG, LDT, dO, p.do_st, q0, BWD_BQ, p.T);
            for (int r = threadIdx.x; r < BWD_BQ; r += THREADS) {
                bool in = q0 + r < p.T;
                sLse[r] = in ? lse[(q0 + r) * p.lse_st] : NEG_INF;
                sDelta[r] = in ? dl[q0 + r] : 0.f;
            }
            __syncthreads();

            // S = Q·Kᵀ and dP = dO·Vᵀ: 2 x 4 tiles of 16x16, two per warp
            for (int t = warp * 2; t < warp * 2 + 2; t++) {
                int m = t / 4, n = t % 4;
                wmma::fragment<wmma::accumulator, 16, 16, 16, float> s, dp;
                wmma::fill_fragment(s, 0.f);
                wmma::fill_fragment(dp, 0.f);
                for (int kk = 0; kk < NF; kk++) {
                    wmma::fragment<wmma::matrix_a, 16, 16, 16, T, wmma::row_major> a;
                    wmma::fragment<wmma::matrix_b, 16, 16, 16, T, wmma::col_major> bt;
                    wmma::load_matrix_sync(a, sQ + m * 16 * LDT + kk * 16, LDT);
                    wmma::load_matrix_sync(bt, sK + n * 16 * LDT + kk * 16, LDT);
                    wmma::mma_sync(s, a, bt, s);
                    wmma::load_matrix_sync(a, sG + m * 16 * LDT + kk * 16, LDT);
                    wmma::load_matrix_sync(bt, sV + n * 16 * LDT + kk * 16, LDT);
                    wmma::mma_sync(dp, a, bt, dp);
                }
                wmma::store_matrix_sync(sS + m * 16 * LDS_F + n * 16, s, LDS_F, wmma::mem_row_major);
                wmma::store_matrix_sync(sDP + m * 16 * LDS_F + n * 16, dp, LDS_F, wmma::mem_row_major);
            }
            __syncthreads();

            // P = exp(S·scale - lse) (0 where masked or on rows that see no key), dS = P ∘ (dP - D)·scale
            for (int idx = threadIdx.x; idx < BWD_BQ * BWD_BK; idx += THREADS) {
                int r = idx / BWD_BK, c = idx % BWD_BK;
                long long i = q0 + r, j = k0 + c;
                float l = sLse[r], pr = 0.f;
                if (i < p.T && j < p.S && l != NEG_INF && sees(p, b, i, j)) pr = __expf(sS[r * LDS_F + c] * scale - l);
                sP[r * LDP_H + c] = from_f<T>(pr);
                sDS[r * LDP_H + c] = from_f<T>(pr * (sDP[r * LDS_F + c] - sDelta[r]) * scale);
            }
            __syncthreads();

            // dV += Pᵀ·dO and dK += dSᵀ·Q for the warp's 16 keys (Pᵀ read column-major from P)
            for (int n = 0; n < NF; n++) {
                for (int kk = 0; kk < BWD_BQ / 16; kk++) {
                    wmma::fragment<wmma::matrix_a, 16, 16, 16, T, wmma::col_major> at;
                    wmma::fragment<wmma::matrix_b, 16, 16, 16, T, wmma::row_major> bm;
                    wmma::load_matrix_sync(at, sP + kk * 16 * LDP_H + warp * 16, LDP_H);
                    wmma::load_matrix_sync(bm, sG + kk * 16 * LDT + n * 16, LDT);
                    wmma::mma_sync(dV[n], at, bm, dV[n]);
                    wmma::load_matrix_sync(at, sDS + kk * 16 * LDP_H + warp * 16, LDP_H);
                    wmma::load_matrix_sync(bm, sQ + kk * 16 * LDT + n * 16, LDT);
                    wmma::mma_sync(dK[n], at, bm, dK[n]);
                }
            }
            // dQ tile = dS·K: 2 x NF tiles, spread over the warps
            for (int t = warp; t < 2 * NF; t += WARPS) {
                int m = t / NF, n = t % NF;
                wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc;
                wmma::fill_fragment(acc, 0.f);
                for (int kk = 0; kk < BWD_BK / 16; kk++) {
                    wmma::fragment<wmma::matrix_a, 16, 16, 16, T, wmma::row_major> a;
                    wmma::fragment<wmma::matrix_b, 16, 16, 16, T, wmma::row_major> bm;
                    wmma::load_matrix_sync(a, sDS + m * 16 * LDP_H + kk * 16, LDP_H);
                    wmma::load_matrix_sync(bm, sK + kk * 16 * LDT + n * 16, LDT);
                    wmma::mma_sync(acc, a, bm, acc);
                }
                wmma::store_matrix_sync(sDQ + m * 16 * LDO + n * 16, acc, LDO, wmma::mem_row_major);
            }
            __syncthreads();
            for (int idx = threadIdx.x; idx < BWD_BQ * D; idx += THREADS) {
                int r = idx / D, c = idx % D;
                if (q0 + r < p.T) atomicAdd(dqAcc + (q0 + r) * D + c, sDQ[r * LDO + c]);
            }
            __syncthreads();   // Q, dO, P, dS and dQ are overwritten next
        }
    }

    // dK, dV rows of the warp: fragment -> f32 staging -> dtype, dense [B, Hkv, S, D]
    const long long hkv = p.Hq / p.group;
    T* dk = static_cast<T*>(p.dk) + ((b * hkv + hk) * p.S) * D;
    T* dv = static_cast<T*>(p.dv) + ((b * hkv + hk) * p.S) * D;
    float* st = sFrag + warp * 256;
    for (int n = 0; n < NF; n++) {
        for (int which = 0; which < 2; which++) {
            wmma::store_matrix_sync(st, which == 0 ? dK[n] : dV[n], 16, wmma::mem_row_major);
            __syncwarp();
            T* dst = which == 0 ? dk : dv;
            for (int e = lane; e < 256; e += 32) {
                long long j = k0 + warp * 16 + e / 16;
                if (j < p.S) dst[j * D + n * 16 + e % 16] = from_f<T>(st[e]);
            }
            __syncwarp();
        }
    }
}

// dq (dense, q's dtype) from the f32 accumulator.
template <typename T>
__device__ void dq_convert(const FlashParams& p, long long n) {
    for (long long i = (long long) blockIdx.x * THREADS + threadIdx.x; i < n; i += (long long) gridDim.x * THREADS) {
        static_cast<T*>(p.dq)[i] = from_f<T>(p.dq_acc[i]);
    }
}

}  // namespace

// One entry point per (dtype, head dim); the host picks the name (CudaFlashAttention.kernel) and the shared size.
#define FLASH_ENTRIES(TAG, T, D)                                                                                   \
    extern "C" __global__ void __launch_bounds__(THREADS) flash_fwd_##TAG##_d##D(FlashParams p) { forward<T, D>(p); } \
    extern "C" __global__ void __launch_bounds__(THREADS) flash_delta_##TAG##_d##D(FlashParams p) { delta<T, D>(p); } \
    extern "C" __global__ void __launch_bounds__(THREADS) flash_bwd_##TAG##_d##D(FlashParams p) { backward<T, D>(p); }
// Dynamic shared memory per block of each kernel (read by the host with cuModuleGetGlobal), and the block size.
extern "C" __device__ long long flash_smem_fwd_d64 = FwdLayout<64>::BYTES;
extern "C" __device__ long long flash_smem_fwd_d128 = FwdLayout<128>::BYTES;
extern "C" __device__ long long flash_smem_bwd_d64 = BwdLayout<64>::BYTES;
extern "C" __device__ long long flash_smem_bwd_d128 = BwdLayout<128>::BYTES;
extern "C" __device__ long long flash_threads = THREADS;
extern "C" __device__ long long flash_fwd_bq = FWD_BQ;
extern "C" __device__ long long flash_bwd_bk = BWD_BK;
FLASH_ENTRIES(bf16, __nv_bfloat16, 64)
FLASH_ENTRIES(bf16, __nv_bfloat16, 128)
FLASH_ENTRIES(f16, __half, 64)
FLASH_ENTRIES(f16, __half, 128)
extern "C" __global__ void __launch_bounds__(THREADS) flash_dq_convert_bf16(FlashParams p, long long n) { dq_convert<__nv_bfloat16>(p, n); }
extern "C" __global__ void __launch_bounds__(THREADS) flash_dq_convert_f16(FlashParams p, long long n) { dq_convert<__half>(p, n); }
