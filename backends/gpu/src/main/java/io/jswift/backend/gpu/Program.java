package io.jswift.backend.gpu;

/** A compiled program of one driver (an OpenCL cl_program, a CUDA module): opaque to everyone but that driver. */
public interface Program {
    /** The {@link ProgramSource#name()} it was built from, for error messages. */
    String name();
}
