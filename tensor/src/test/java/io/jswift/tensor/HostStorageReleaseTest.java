package io.jswift.tensor;

import org.junit.jupiter.api.Test;


import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Early release of host memory: only storages newer than the mark, the block is reused, a stale use fails. */
class HostStorageReleaseTest {
    @Test
    void releasedBlockIsReusedAndTheOldStorageFailsLoudly() {
        HostStorage older = HostStorage.allocate(3 << 20);
        long mark = HostStorage.allocationMark();
        HostStorage s = HostStorage.allocate(3 << 20);
        long address = s.segment().address();
        assertFalse(HostStorage.releaseIfNewer(older, mark), "allocated before the mark: kept");
        assertTrue(older.segment().byteSize() > 0);
        assertTrue(HostStorage.releaseIfNewer(s, mark));
        assertEquals(0, s.segment().byteSize(), "a released storage has an empty segment");
        assertThrows(IndexOutOfBoundsException.class, () -> s.segment().get(java.lang.foreign.ValueLayout.JAVA_BYTE, 0));
        assertFalse(HostStorage.releaseIfNewer(s, mark), "released once only");
        HostStorage next = HostStorage.allocate(3 << 20);
        assertEquals(address, next.segment().address(), "the same size class gets the released block back");
        for (long i = 0; i < next.byteSize(); i += 4096) assertEquals(0, next.segment().get(java.lang.foreign.ValueLayout.JAVA_BYTE, i), "zero-filled");
    }

    @Test
    void borrowedMemoryIsNeverReleased() {
        long mark = HostStorage.allocationMark();
        HostStorage wrapped = HostStorage.wrap(java.lang.foreign.Arena.ofAuto().allocate(64), null);
        assertFalse(HostStorage.releaseIfNewer(wrapped, mark));
        assertEquals(64, wrapped.segment().byteSize());
    }
}
