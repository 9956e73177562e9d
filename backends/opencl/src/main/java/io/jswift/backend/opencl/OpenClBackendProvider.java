package io.jswift.backend.opencl;

import io.jswift.backend.gpu.GpuBackend;
import io.jswift.tensor.spi.Backend;
import io.jswift.tensor.spi.BackendProvider;

import java.util.stream.Collectors;

/** Registers the OpenCL backend: device {@code opencl:N} is the N-th device over all platforms, run by {@link GpuBackend} over an {@link OpenClDriver}. */
public final class OpenClBackendProvider implements BackendProvider {
    @Override
    public String type() { return "opencl"; }

    @Override
    public Availability availability() {
        ClRuntime.Probe p = ClRuntime.probe();
        if (p.devices().isEmpty()) return Availability.unavailable(p.reason());
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < p.devices().size(); i++) {
            ClRuntime.DeviceRef d = p.devices().get(i);
            if (i > 0) s.append("; ");
            s.append("opencl:").append(i).append(" = ").append(d.name()).append(" (").append(d.platformName()).append(')');
        }
        return Availability.of(p.devices().size(), s.toString());
    }

    @Override
    public Backend open(int index) {
        ClRuntime.Probe p = ClRuntime.probe();
        if (index >= p.devices().size()) {
            throw new IllegalArgumentException("no device opencl:" + index + ": found "
                    + p.devices().stream().map(ClRuntime.DeviceRef::name).collect(Collectors.joining(", ")));
        }
        return new GpuBackend(new OpenClDriver(index, p.devices().get(index)));
    }
}
