package io.jswift.backend.cpu.kernels;

import io.jswift.tensor.spi.BinaryOp;
import io.jswift.tensor.spi.ElementwiseRules;
import io.jswift.tensor.spi.UnaryOp;

/** The scalar definition of every elementwise op (double precision); SIMD paths must agree with it. */
public final class ScalarMath {
    private static final double SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

    private ScalarMath() {}

    public static double unary(UnaryOp op, double x) {
        return switch (op) {
            case NEG -> -x;
            case ABS -> Math.abs(x);
            case SIGN -> Math.signum(x);
            case EXP -> Math.exp(x);
            case LOG -> Math.log(x);
            case SQRT -> Math.sqrt(x);
            case RSQRT -> 1 / Math.sqrt(x);
            case RECIPROCAL -> 1 / x;
            case SQUARE -> x * x;
            case SIN -> Math.sin(x);
            case COS -> Math.cos(x);
            case TANH -> Math.tanh(x);
            case SIGMOID -> sigmoid(x);
            case SILU -> x * sigmoid(x);
            case RELU -> x > 0 ? x : (x == x ? 0 : x);
            case GELU -> 0.5 * x * erfc(-x / Math.sqrt(2)); // not 1 + erf: that cancels to 0 below x = -5.9
            case GELU_TANH -> 0.5 * x * (1 + Math.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x * x * x)));
            case ERF -> erf(x);
        };
    }

    static double sigmoid(double x) {
        return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
    }

    public static double binary(BinaryOp op, double a, double b) {
        return switch (op) {
            case ADD -> a + b;
            case SUB -> a - b;
            case MUL -> a * b;
            case DIV -> a / b;
            case MAX -> a != a || b != b ? Double.NaN : Math.max(a, b);
            case MIN -> a != a || b != b ? Double.NaN : Math.min(a, b);
            case POW -> Math.pow(a, b);
            case EQ -> a == b ? 1 : 0;
            case NE -> a != b ? 1 : 0;
            case LT -> a < b ? 1 : 0;
            case LE -> a <= b ? 1 : 0;
            case GT -> a > b ? 1 : 0;
            case GE -> a >= b ? 1 : 0;
        };
    }

    /** Integer arithmetic (exact in 64 bits); DIV is not integer here (it promotes to float). */
    public static long binaryLong(BinaryOp op, long a, long b) {
        return switch (op) {
            case ADD -> a + b;
            case SUB -> a - b;
            case MUL -> a * b;
            case MAX -> Math.max(a, b);
            case MIN -> Math.min(a, b);
            case POW -> {
                ElementwiseRules.checkExponent(b);
                long r = 1, base = a, e = b;
                while (e > 0) {
                    if ((e & 1) == 1) r *= base;
                    base *= base;
                    e >>= 1;
                }
                yield r;
            }
            case EQ -> a == b ? 1 : 0;
            case NE -> a != b ? 1 : 0;
            case LT -> a < b ? 1 : 0;
            case LE -> a <= b ? 1 : 0;
            case GT -> a > b ? 1 : 0;
            case GE -> a >= b ? 1 : 0;
            case DIV -> throw new IllegalStateException("integer DIV is computed in floating point");
        };
    }

    /**
     * erf to ~1e-14 relative (Java has no Math.erf): the Maclaurin series below |x| = 2.5 (terms peak
     * near 50 there, so cancellation costs under two digits) and 1 - erfc by its continued fraction above,
     * where that converges in a few dozen terms.
     */
    public static double erf(double x) {
        if (x != x) return x;
        double ax = Math.abs(x);
        if (ax < 2.5) {
            double term = x, sum = x, x2 = x * x;
            for (int n = 1; n < 100; n++) {
                term *= -x2 / n;
                double add = term / (2 * n + 1);
                sum += add;
                if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
            }
            return 2 / Math.sqrt(Math.PI) * sum;
        }
        if (ax > 6) return Math.signum(x);
        double r = erfcLarge(ax);
        return x > 0 ? 1 - r : r - 1;
    }

    /**
     * erfc(x) = 1 - erf(x) with relative accuracy in the tail, where 1 - erf rounds to 0: the continued
     * fraction from 2.5 on (~1e-15 relative), 1 - erf below (~1e-13 relative near 2.5, better elsewhere).
     */
    public static double erfc(double x) {
        if (x != x) return x;
        if (x < 2.5) return 1 - erf(x);
        if (x > 27) return 0; // below the smallest double (erfc(26) is 5.7e-296)
        return erfcLarge(x);
    }

    /** erfc(x) for x >= 2.5 by its continued fraction (modified Lentz), accurate to ~1e-15. */
    private static double erfcLarge(double x) {
        // erfc(x) = exp(-x²)/√π · 1/(x + 1/2/(x + 1/(x + 3/2/(x + 2/(x + ...)))))
        double tiny = 1e-300;
        double f = x, c = x, d = 0;
        for (int n = 1; n < 200; n++) {
            double an = n / 2.0;
            d = x + an * d;
            d = Math.abs(d) < tiny ? tiny : d;
            c = x + an / c;
            c = Math.abs(c) < tiny ? tiny : c;
            d = 1 / d;
            double delta = c * d;
            f *= delta;
            if (Math.abs(delta - 1) < 1e-16) break;
        }
        return Math.exp(-x * x) / Math.sqrt(Math.PI) / f;
    }
}
