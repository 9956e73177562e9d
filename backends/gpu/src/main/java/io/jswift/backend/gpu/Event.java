package io.jswift.backend.gpu;

/** A mark in a driver's queue (an OpenCL marker event, a CUDA event), for {@link Driver#elapsedMillis}. */
public interface Event {}
