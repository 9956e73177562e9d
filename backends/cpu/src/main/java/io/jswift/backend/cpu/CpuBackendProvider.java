package io.jswift.backend.cpu;

import io.jswift.tensor.spi.Backend;
import io.jswift.tensor.spi.BackendProvider;

/** Registers the CPU backend (always available; one device). */
public final class CpuBackendProvider implements BackendProvider {
    @Override
    public String type() { return "cpu"; }

    @Override
    public Availability availability() {
        return Availability.of(1, Parallel.threads() + " threads, Vector API "
                + jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.vectorBitSize() + "-bit");
    }

    @Override
    public Backend open(int index) { return new CpuBackend(); }
}
