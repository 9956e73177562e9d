// The one kernel argument of the flash attention kernels, passed by value. Every field is 8 bytes wide so the host
// (CudaFlashAttention.params) writes it as a long[] in this order with no padding rules to mirror.
// Element strides; the head dim is contiguous (stride 1). Outputs (out, lse; dq, dk, dv) are dense.
#pragma once
struct FlashParams {
    const void* q; const void* k; const void* v;      // [B, Hq, T, D], [B, Hkv, S, D], [B, Hkv, S, D]
    const void* o; const void* dout;                  // backward: the forward output and its gradient, like q
    void* out; float* lse;                            // forward: [B, Hq, T, D] in q's dtype, [B, Hq, T] f32
    float* delta; float* dq_acc;                      // backward scratch: [B, Hq, T] and [B, Hq, T, D] f32
    void* dq; void* dk; void* dv;                     // backward results, dense, in q's dtype
    const long long* qseg; const long long* kseg;     // [B, T], [B, S] segment ids or null
    long long q_sb, q_sh, q_st;
    long long k_sb, k_sh, k_st;
    long long v_sb, v_sh, v_st;
    long long o_sb, o_sh, o_st;
    long long do_sb, do_sh, do_st;
    long long lse_sb, lse_sh, lse_st;                 // backward's logSumExp input
    long long qseg_sb, kseg_sb;                       // batch strides of the segment ids (0 for a batch of 1)
    long long B, Hq, group, T, S;                     // group = Hq / Hkv
    long long causal, window, has_seg;
    double scale;
};
