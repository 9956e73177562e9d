// SwiGLU activation silu(gate)·up (HF LlamaMLP: down(act(gate(x)) * up(x))) and its backward, elementwise over
// contiguous operands. With s = σ(g): y = g·s·u; dGate = dy·u·s·(1 + g·(1 - s)); dUp = dy·g·s.
// Defines: REAL; operand types G, U, Y (forward), DY, DG, DU (backward).

#ifdef Y_T
KERNEL void silu_mul_forward(GLOBAL const G_T* gate, GLOBAL const U_T* up, GLOBAL Y_T* y, i64 n) {
    i64 i = GID(0);
    if (i >= n) return;
    REAL g = G_LOAD(gate, i);
    Y_STORE(y, i, g * (1 / (1 + exp(-g))) * U_LOAD(up, i));
}
#endif

#ifdef DG_T
KERNEL void silu_mul_backward(GLOBAL const DY_T* dy, GLOBAL const G_T* gate, GLOBAL const U_T* up,
                                GLOBAL DG_T* dGate, GLOBAL DU_T* dUp, i64 n) {
    i64 i = GID(0);
    if (i >= n) return;
    REAL d = DY_LOAD(dy, i), g = G_LOAD(gate, i), u = U_LOAD(up, i);
    REAL s = 1 / (1 + exp(-g));
    DG_STORE(dGate, i, d * u * (s * (g * (1 - s) + 1)));
    DU_STORE(dUp, i, d * g * s);
}
#endif
