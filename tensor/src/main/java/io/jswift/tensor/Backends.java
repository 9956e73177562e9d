package io.jswift.tensor;

import io.jswift.tensor.spi.Backend;
import io.jswift.tensor.spi.BackendProvider;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Finds backends through {@link ServiceLoader}. A provider whose runtime is missing reports itself
 * unavailable with a reason; asking for its device then fails with that reason, never at class loading.
 */
public final class Backends {
    private static final Map<Device, Backend> OPEN = new ConcurrentHashMap<>();
    private static volatile List<BackendProvider> providers;

    private Backends() {}

    /** Every provider on the class path, available or not. */
    public static List<BackendProvider> providers() {
        List<BackendProvider> p = providers;
        if (p == null) {
            List<BackendProvider> found = new ArrayList<>();
            for (BackendProvider bp : ServiceLoader.load(BackendProvider.class)) found.add(bp);
            providers = p = List.copyOf(found);
        }
        return p;
    }

    /** The backend of {@code device}, opened once and reused. */
    public static Backend forDevice(Device device) {
        Backend b = OPEN.get(device);
        if (b != null) return b;
        return OPEN.computeIfAbsent(device, Backends::open);
    }

    private static Backend open(Device device) {
        if (device.equals(MetaStorage.DEVICE)) {
            throw new IllegalStateException("tensor has no data (meta device): load the model's weights before computing with it");
        }
        for (BackendProvider p : providers()) {
            if (!p.type().equals(device.type())) continue;
            BackendProvider.Availability a = p.availability();
            if (!a.available()) throw new IllegalStateException(device.type() + " backend unavailable: " + a.reason());
            if (device.index() >= a.deviceCount()) {
                throw new IllegalArgumentException("no device " + device + ": the " + device.type() + " backend has "
                        + a.deviceCount() + " device(s)");
            }
            return p.open(device.index());
        }
        List<String> known = providers().stream().map(BackendProvider::type).toList();
        throw new IllegalArgumentException("no backend for device '" + device + "' (backends found: " + known
                + "); is the backend's jar on the class path?");
    }
}
