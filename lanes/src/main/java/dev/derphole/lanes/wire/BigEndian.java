package dev.derphole.lanes.wire;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/** Big-endian integer access to {@code byte[]} through array-view VarHandles (bounds-checked, no allocation). */
public final class BigEndian {
    private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);
    private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);

    private BigEndian() {
    }

    public static long getLong(final byte[] b, final int offset) {
        return (long)LONG.get(b, offset);
    }

    public static void putLong(final byte[] b, final int offset, final long value) {
        LONG.set(b, offset, value);
    }

    public static int getInt(final byte[] b, final int offset) {
        return (int)INT.get(b, offset);
    }

    public static void putInt(final byte[] b, final int offset, final int value) {
        INT.set(b, offset, value);
    }

    /** Unsigned 32-bit value. */
    public static long getUnsignedInt(final byte[] b, final int offset) {
        return getInt(b, offset) & 0xFFFF_FFFFL;
    }
}
