package io.jswift.autograd;

/**
 * Whether operations record a graph on this thread. {@code try (var s = GradMode.noGrad()) { ... }}
 * disables recording (inference, optimizer steps, activation-checkpoint forwards), like torch.no_grad().
 */
public final class GradMode {
    private static final ThreadLocal<Boolean> ENABLED = ThreadLocal.withInitial(() -> Boolean.TRUE);

    private GradMode() {}

    public static boolean isEnabled() { return ENABLED.get(); }

    /** Disables recording until the returned scope is closed (restores the previous mode). */
    public static Scope noGrad() { return set(false); }

    /** Enables recording until the returned scope is closed (used inside checkpoint recomputation). */
    public static Scope enableGrad() { return set(true); }

    private static Scope set(boolean enabled) {
        boolean previous = ENABLED.get();
        ENABLED.set(enabled);
        return () -> ENABLED.set(previous);
    }

    /** A scope that restores the previous mode on close; never throws. */
    public interface Scope extends AutoCloseable {
        @Override
        void close();
    }
}
