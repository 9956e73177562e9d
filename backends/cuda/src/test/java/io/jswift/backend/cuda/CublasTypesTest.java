package io.jswift.backend.cuda;

import io.jswift.tensor.DType;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Which operand / result dtypes cuBLAS takes (no GPU needed): the matmul rules' operands (f32, bf16, f16, f64), C in
 * the product's dtype or, for matmul-into, its accumulator (f32 for bf16 / f16, as cublasGemmEx's table allows);
 * everything else is declined and the portable kernel runs.
 */
class CublasTypesTest {
    @Test
    void operandsAndResultsFollowTheMatmulRules() {
        String[] expected = {
                // ab \ c: F64 F32 F16 BF16 I64 I32 U8 BOOL
                "F64:  y . . . . . . .",
                "F32:  . y . . . . . .",
                "F16:  . y y . . . . .",
                "BF16: . y . y . . . .",
                "I64:  . . . . . . . .",
                "I32:  . . . . . . . .",
                "U8:   . . . . . . . .",
                "BOOL: . . . . . . . ."};
        DType[] types = {DType.F64, DType.F32, DType.F16, DType.BF16, DType.I64, DType.I32, DType.U8, DType.BOOL};
        for (int r = 0; r < types.length; r++) {
            StringBuilder row = new StringBuilder(String.format("%-6s", types[r] + ":"));
            for (int c = 0; c < types.length; c++) row.append(c == 0 ? "" : " ").append(Cublas.supports(types[r], types[c]) ? "y" : ".");
            assertEquals(expected[r], row.toString());
        }
    }
}
