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

    /** Unsigned 24-bit value at {@code b[offset, offset + 3)}. */
    public static int getUnsigned24(final byte[] b, final int offset) {
        return (b[offset] & 0xFF) << 16 | (b[offset + 1] & 0xFF) << 8 | b[offset + 2] & 0xFF;
    }

    /** The low 24 bits of {@code value} at {@code b[offset, offset + 3)}. */
    public static void put24(final byte[] b, final int offset, final int value) {
        b[offset] = (byte)(value >>> 16);
        b[offset + 1] = (byte)(value >>> 8);
        b[offset + 2] = (byte)value;
    }

    /** Unsigned 32-bit value. */
    public static long getUnsignedInt(final byte[] b, final int offset) {
        return getInt(b, offset) & 0xFFFF_FFFFL;
    }
}
