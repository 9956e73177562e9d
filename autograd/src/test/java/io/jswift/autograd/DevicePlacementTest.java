package io.jswift.autograd;

import io.jswift.autograd.ops.Elementwise;
import io.jswift.autograd.ops.Fused;
import io.jswift.autograd.ops.LinearAlgebra;
import io.jswift.autograd.ops.Losses;
import io.jswift.autograd.ops.Views;
import io.jswift.tensor.DType;
import io.jswift.tensor.Device;
import io.jswift.tensor.Shapes;
import io.jswift.tensor.Storage;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.AttentionSpec;
import io.jswift.tensor.testing.DeviceTesting;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * One op, one device: Autograd.apply refuses inputs (and tensors a Function holds: indices, rope tables, targets,
 * attention segments) on different devices before any backend runs, naming the op and both devices. The check
 * needs no second backend: a storage that only claims another device is enough, since nothing reads it.
 */
class DevicePlacementTest {
    private static final Device ELSEWHERE = new Device("elsewhere", 1);

    /** Storage that claims {@link #ELSEWHERE} and holds nothing: the device check must fail before it is read. */
    private record ElsewhereStorage(long byteSize) implements Storage {
        @Override
        public Device device() { return ELSEWHERE; }
    }

    private static Tensor elsewhere(DType dtype, int... shape) {
        return Tensor.contiguousOver(new ElsewhereStorage(dtype.byteSize(Shapes.numel(shape))), dtype, shape);
    }

    private static Variable cpu(int... shape) {
        return Variable.leaf(Tensor.zeros(DType.F32, shape), true);
    }

    private static void assertMixed(String op, String first, String second, Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertEquals(op + ": inputs on different devices: " + first + " and " + second + "; move them with .to(device)", e.getMessage());
    }

    @Test
    void mixedInputsNameTheOpAndBothDevices() {
        Variable w = Variable.constant(elsewhere(DType.F32, 3, 4));
        assertMixed("matmul", "cpu", "elsewhere:1", () -> LinearAlgebra.matmul(cpu(2, 3), w, false, false));
        assertMixed("matmul", "elsewhere:1", "cpu", () -> LinearAlgebra.matmul(w, cpu(4, 2), false, false));
        assertMixed("linear", "cpu", "elsewhere:1", () -> LinearAlgebra.linear(cpu(2, 4), w, null));
        assertMixed("add", "cpu", "elsewhere:1", () -> Elementwise.add(cpu(3, 4), w));
        assertMixed("rmsNorm", "elsewhere:1", "cpu", () -> Fused.rmsNorm(Variable.constant(elsewhere(DType.F32, 2, 4)), cpu(4), 1e-6));
        assertMixed("concat", "cpu", "elsewhere:1", () -> Views.concat(java.util.List.of(cpu(3, 4), w), 0));
    }

    @Test
    void tensorsHeldByTheFunctionMustBeOnTheInputsDevice() {
        Variable x = cpu(1, 2, 3, 4);
        Tensor table = Tensor.zeros(DType.F32, 3, 4);
        assertMixed("rope", "cpu", "elsewhere:1", () -> Fused.rope(x, table, elsewhere(DType.F32, 3, 4)));
        assertMixed("indexSelect", "cpu", "elsewhere:1", () -> Views.embedding(cpu(10, 4), elsewhere(DType.I64, 5)));
        assertMixed("crossEntropy", "cpu", "elsewhere:1",
                () -> Losses.crossEntropyRows(cpu(5, 10), elsewhere(DType.I64, 5), Losses.IGNORE_INDEX));
        AttentionSpec spec = new AttentionSpec(0.5, true, elsewhere(DType.I32, 1, 3), elsewhere(DType.I32, 1, 3));
        assertMixed("attention", "cpu", "elsewhere:1", () -> Fused.attention(cpu(1, 2, 3, 4), cpu(1, 2, 3, 4), cpu(1, 2, 3, 4), spec));
    }

    @Test
    void weightlessMetaTensorsAreLeftToTheBackendsMessage() {
        // a model built without weights: the meta message ("load the model's weights") says more than "different devices"
        Variable meta = Variable.constant(Tensor.meta(DType.F32, 3, 4));
        for (Executable call : new Executable[]{() -> LinearAlgebra.linear(cpu(2, 4), meta, null), () -> Elementwise.scale(meta, 2)}) {
            IllegalStateException e = assertThrows(IllegalStateException.class, call);
            assertEquals("tensor has no data (meta device): load the model's weights before computing with it", e.getMessage());
        }
    }

    @Test
    void sameDeviceInputsAndNullOptionalsPass() {
        Variable y = LinearAlgebra.linear(Variable.constant(Tensor.of(new float[]{1, 2}, 1, 2)),
                Variable.constant(Tensor.of(new float[]{3, 4, 5, 6}, 2, 2)), null);
        assertArrayEquals(new float[]{11, 17}, y.value().toFloatArray());
    }

    /** The recycler releases host memory only; gradients living on a device pass through it untouched. */
    @Test
    void recyclerSkipsDeviceStorages() {
        GradientRecycler r = new GradientRecycler();
        Tensor g = elsewhere(DType.F32, 4);
        r.hold(g);
        r.drop(g);
        r.consumed(g);
        assertEquals(16, g.storage().byteSize());
    }

    /** Backward with every tensor on opencl:0 (recycler included) gives the CPU's gradients. */
    @Test
    void backwardOnTheDeviceEqualsTheCpu() {
        Device cl = DeviceTesting.openCl();
        double[] av = {1, -2, 3, 0.5, 4, -1}, bv = {0.25, 2, -3, 1, 1.5, -0.5};
        Variable[] cpuGrads = grads(Device.CPU, av, bv), clGrads = grads(cl, av, bv);
        for (int i = 0; i < 2; i++) {
            assertEquals(cl, clGrads[i].grad().device());
            assertArrayEquals(cpuGrads[i].grad().toDoubleArray(), clGrads[i].grad().toDoubleArray(), 1e-6);
        }
        assertFalse(clGrads[0].grad().device().equals(Device.CPU));
    }

    /** d/da and d/db of (a + b)·b·3 + a, reshaped on the way (views, a variable reached twice). */
    private static Variable[] grads(Device device, double[] av, double[] bv) {
        Variable a = Variable.leaf(Tensor.of(av, 2, 3).to(DType.F32).to(device), true);
        Variable b = Variable.leaf(Tensor.of(bv, 2, 3).to(DType.F32).to(device), true);
        Variable s = Views.reshape(Elementwise.add(a, b), 3, 2);
        Variable out = Elementwise.add(Elementwise.scale(Elementwise.mul(Views.reshape(s, 2, 3), b), 3), a);
        out.backward(Tensor.of(new float[]{1, 2, 3, 4, 5, 6}, 2, 3).to(device), false);
        return new Variable[]{a, b};
    }
}
