package dev.derphole.udp.uring;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * One FFM call shape for every libc function the process calls: {@code long f(long, ...)} with seven
 * {@code long}s, variadic after the first, capturing {@code errno}. The JDK builds one native stub and one
 * specialised adapter per distinct shape (3-12 ms of cold code each, ~40 ms for the first), so binding every
 * function with this one keeps that cost to one shape per process (see {@link LinuxCalls} for why it is sound on
 * x86-64 and AArch64 Linux). Callers widen ints to {@code long}, pass pointers as addresses of native segments
 * that stay alive during the call, and narrow {@code int} results again.
 * <p>
 * Stateless; thread-safe.
 */
@SuppressWarnings("restricted")
public final class SharedCallShape {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final ValueLayout.OfLong C_LONG = ValueLayout.JAVA_LONG;
    private static final FunctionDescriptor SHAPE =
        FunctionDescriptor.of(C_LONG, C_LONG, C_LONG, C_LONG, C_LONG, C_LONG, C_LONG, C_LONG);

    private SharedCallShape() {
    }

    /**
     * Binds the libc function {@code name} with the shared shape; its handle takes the call-state segment and
     * seven {@code long}s (see {@link #call}).
     *
     * @throws UnsatisfiedLinkError when libc has no such function
     */
    public static MethodHandle bind(final String name) {
        final MemorySegment symbol = LINKER.defaultLookup().find(name)
            .orElseThrow(() -> new UnsatisfiedLinkError(name));
        return LINKER.downcallHandle(symbol, SHAPE, Linker.Option.firstVariadicArg(1),
            Linker.Option.captureCallState("errno"));
    }

    /** A segment to capture errno into, for one thread at a time. */
    public static MemorySegment newCallState(final Arena arena) {
        return arena.allocate(CALL_STATE);
    }

    /** The layout of a call-state segment (its {@code errno} field). */
    static StructLayout callStateLayout() {
        return CALL_STATE;
    }

    /** Calls {@code handle} (from {@link #bind}) with up to seven arguments, the unused ones 0. */
    public static long call(final MethodHandle handle, final MemorySegment state, final long a, final long b,
        final long c, final long d, final long e, final long f, final long g) {
        try {
            return (long)handle.invokeExact(state, a, b, c, d, e, f, g);
        } catch (final RuntimeException | Error t) {
            throw t;
        } catch (final Throwable t) {
            throw new IllegalStateException("native call failed", t);
        }
    }
}
