package io.jswift.backend.cpu.gemm;

import io.jswift.tensor.quant.FourBitType;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Both code lookups of the 4-bit GEMV (the one {@link Gemv4bit} runs depends on the machine's vector size, so the
 * other is checked here): each lane of the result is table[lane's int & 15], whatever its higher bits, as the kernel
 * passes whole shifted words.
 */
class Gemv4bitLookupTest {
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_256;

    @ParameterizedTest
    @EnumSource(FourBitType.class)
    void bothLookupsReadTheLowNibbleOfEachLane(FourBitType type) {
        float[] table = type.table();
        IntVector lo = FloatVector.fromArray(FloatVector.SPECIES_256, table, 0).reinterpretAsInts();
        IntVector hi = FloatVector.fromArray(FloatVector.SPECIES_256, table, 8).reinterpretAsInts();
        Random r = new Random(3);
        int[] idx = new int[8];
        for (int trial = 0; trial < 200; trial++) {
            for (int l = 0; l < 8; l++) idx[l] = trial < 2 ? l + 8 * trial : r.nextInt() >>> (4 * r.nextInt(8));
            IntVector v = IntVector.fromArray(I, idx, 0);
            float[] halves = Gemv4bit.lookupHalves(v, lo, hi).toArray(), two = Gemv4bit.lookupTwoTables(v, lo, hi).toArray();
            for (int l = 0; l < 8; l++) {
                assertEquals(table[idx[l] & 15], halves[l], 0, "halves, index " + Integer.toHexString(idx[l]));
                assertEquals(table[idx[l] & 15], two[l], 0, "two tables, index " + Integer.toHexString(idx[l]));
            }
        }
    }
}
