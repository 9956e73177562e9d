// One in-place AdamW update (torch.optim.AdamW, decoupled weight decay), elementwise:
// p = p·(1 - lr·wd) - stepSize · m / (sqrt(v)·invSqrtBc2 + eps) after m = β1·m + (1-β1)·g, v = β2·v + (1-β2)·g²,
// with stepSize = lr / (1 - β1^t) and invSqrtBc2 = 1 / sqrt(1 - β2^t) computed on the host in double.
// param / expAvg / expAvgSq are contiguous from their offsets; grad is contiguous. Defines: REAL; types P, G, M, V.
KERNEL void adamw_step(GLOBAL P_T* p, i64 po, GLOBAL const G_T* g, GLOBAL M_T* m, i64 mo,
                         GLOBAL V_T* v, i64 vo, REAL decay, REAL b1, REAL b2, REAL eps, REAL stepSize,
                         REAL invSqrtBc2, i64 n) {
    i64 i = GID(0);
    if (i >= n) return;
    REAL gi = G_LOAD(g, i);
    REAL mi = M_LOAD(m, mo + i) * b1 + gi * (1 - b1);
    REAL vi = V_LOAD(v, vo + i) * b2 + gi * gi * (1 - b2);
    REAL denom = sqrt(vi) * invSqrtBc2 + eps;
    M_STORE(m, mo + i, mi);
    V_STORE(v, vo + i, vi);
    P_STORE(p, po + i, P_LOAD(p, po + i) * decay - mi / denom * stepSize);
}
