package io.jswift.cli;

import io.jswift.tensor.Backends;
import io.jswift.tensor.Device;

/**
 * The {@code --device cpu|opencl[:N]|cuda[:N]} flag of infer, logits, pt and sft: parsed and its backend opened before any
 * model is loaded, so an unknown or unavailable device fails at once with one line giving the backend's reason
 * (e.g. "opencl backend unavailable: no OpenCL platform (install pocl-opencl-icd or a GPU driver)").
 */
final class DeviceOption {
    static final String DESCRIPTION = "Device to run on: cpu (default), opencl, opencl:N, cuda or cuda:N (see jswift env).";

    private DeviceOption() {}

    static Device open(String spec) {
        try {
            Device device = Device.parse(spec);
            Backends.forDevice(device);
            return device;
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new IllegalArgumentException("--device " + spec + ": " + e.getMessage(), e);
        }
    }
}
