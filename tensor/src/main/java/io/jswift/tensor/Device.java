package io.jswift.tensor;

/**
 * Where a tensor's storage lives: {@code cpu}, {@code opencl:0}, {@code cuda:1}, ...
 * The type names the backend provider; the index picks one of its devices.
 */
public record Device(String type, int index) {
    public static final Device CPU = new Device("cpu", 0);

    public Device {
        if (type == null || type.isEmpty()) throw new IllegalArgumentException("device type must not be empty");
        if (index < 0) throw new IllegalArgumentException("device index must be >= 0, got " + index);
    }

    /** Parses {@code cpu}, {@code opencl}, {@code opencl:1}. */
    public static Device parse(String spec) {
        String s = spec.trim().toLowerCase(java.util.Locale.ROOT);
        int colon = s.indexOf(':');
        if (colon < 0) return new Device(s, 0);
        try {
            return new Device(s.substring(0, colon), Integer.parseInt(s.substring(colon + 1)));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad device '" + spec + "': expected TYPE or TYPE:INDEX, e.g. cpu or opencl:0");
        }
    }

    @Override
    public String toString() { return "cpu".equals(type) ? "cpu" : type + ":" + index; }
}
