package io.jswift.backend.opencl;

import io.jswift.backend.gpu.Indexing;

/** What the OpenCL tests name of the index ops: index_add's grouping of rows by target, now {@link Indexing}'s. */
final class ClIndex {
    private ClIndex() {}

    static long[] groupByTarget(long[] idx) { return Indexing.groupByTarget(idx); }
}
