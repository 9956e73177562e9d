package io.jswift.backend.conformance;

import org.junit.jupiter.api.Nested;

/**
 * The backend conformance suite: every primitive and fused op of the Backend SPI (and each fused op's backward) on
 * the backend under test against the CPU backend, on odd sizes, strided / broadcast views, and f32 / bf16 / f16 / f64
 * (Jlama's TestOperations idea: a naive backend is the oracle of all others). Primitives are checked against the CPU
 * backend's own op; fused ops against their reference composition ({@code FusedReference}, {@code QuantReference}) run
 * on the CPU backend's primitives, so on the CPU itself the suite checks the fused kernels and the strided paths.
 *
 * <p>A backend module runs the suite with one test class (and test dependencies on this module's test-jar, its own
 * backend and jswift-backend-cpu):
 * <pre>{@code
 * class CudaConformanceTest extends BackendConformance {
 *     CudaConformanceTest() { super("cuda"); }
 * }
 * }</pre>
 * The argument is the {@code BackendProvider.type()} of the backend, found through ServiceLoader; device 0 is tested.
 * When it is unavailable every case is skipped with the provider's reason, except in CI for cpu and opencl (PoCL),
 * where they fail ({@code DeviceTesting}).
 */
public abstract class BackendConformance {
    private final Target target;

    protected BackendConformance(String deviceType) {
        this.target = Target.open(deviceType);
    }

    @Nested
    class Elementwise extends ElementwiseCases {
        Elementwise() { super(target); }
    }

    @Nested
    class Reductions extends ReduceCases {
        Reductions() { super(target); }
    }

    @Nested
    class Matmul extends GemmCases {
        Matmul() { super(target); }
    }

    @Nested
    class GroupedMatmul extends GroupedCases {
        GroupedMatmul() { super(target); }
    }

    @Nested
    class Indexing extends IndexCases {
        Indexing() { super(target); }
    }

    @Nested
    class CopiesAndCasts extends CopyCases {
        CopiesAndCasts() { super(target); }
    }

    @Nested
    class Norms extends NormCases {
        Norms() { super(target); }
    }

    @Nested
    class RopeSwiGluSoftmax extends ActivationCases {
        RopeSwiGluSoftmax() { super(target); }
    }

    @Nested
    class CrossEntropy extends CrossEntropyCases {
        CrossEntropy() { super(target); }
    }

    @Nested
    class Attention extends AttentionCases {
        Attention() { super(target); }
    }

    @Nested
    class Optimizer extends AdamWCases {
        Optimizer() { super(target); }
    }

    @Nested
    class FourBit extends QuantCases {
        FourBit() { super(target); }
    }
}
