package dev.derphole.session.rendezvous;

import java.nio.ByteBuffer;
import java.util.Collections;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Optional typed fields at the end of a claim or decision body, so later features (the stream engine's
 * parameters, QUIC settings) add fields without a version bump. On the wire a sequence of
 * {@code u16 type, u16 length, value} entries running to the end of the body, types strictly ascending
 * (so each type appears once and the encoding is canonical); type 0 is invalid. A receiver keeps entries
 * whose type it does not know, and the layer that owns a type interprets it.
 * <p>
 * Type ranges: 0x0001..0x00ff session and stream-engine parameters, 0x0100..0x7fff future session
 * features, 0x8000..0xffff experiments. Immutable.
 */
public final class Extensions {
    /** No extensions. */
    public static final Extensions NONE = new Extensions(new TreeMap<>());

    private static final int ENTRY_HEADER_LENGTH = 4;

    private final SortedMap<Integer, byte[]> entries;

    private Extensions(final SortedMap<Integer, byte[]> entries) {
        this.entries = entries;
    }

    /** Extensions with these entries (values copied). */
    public static Extensions of(final Map<Integer, byte[]> values) {
        final TreeMap<Integer, byte[]> copy = new TreeMap<>();
        for (final Map.Entry<Integer, byte[]> e : values.entrySet()) {
            final int type = e.getKey();
            if (type < 1 || type > 0xffff) {
                throw new IllegalArgumentException("extension type must be 1..65535, got " + type);
            }
            if (e.getValue().length > 0xffff) {
                throw new IllegalArgumentException("extension value longer than 65535 bytes");
            }
            copy.put(type, e.getValue().clone());
        }
        return copy.isEmpty() ? NONE : new Extensions(copy);
    }

    /** The value of {@code type} (a copy), if present. */
    public Optional<byte[]> get(final int type) {
        final byte[] value = entries.get(type);
        return value == null ? Optional.empty() : Optional.of(value.clone());
    }

    /** The entry types present, ascending. */
    public java.util.Set<Integer> types() {
        return Collections.unmodifiableSet(entries.keySet());
    }

    public boolean isEmpty() {
        return entries.isEmpty();
    }

    int encodedLength() {
        int length = 0;
        for (final byte[] value : entries.values()) {
            length += ENTRY_HEADER_LENGTH + value.length;
        }
        return length;
    }

    void write(final ByteBuffer out) {
        for (final Map.Entry<Integer, byte[]> e : entries.entrySet()) {
            out.putShort((short)e.getKey().intValue());
            out.putShort((short)e.getValue().length);
            out.put(e.getValue());
        }
    }

    /** Reads entries up to the end of {@code in}. */
    static Extensions read(final ByteBuffer in) throws MalformedBodyException {
        if (!in.hasRemaining()) {
            return NONE;
        }
        final TreeMap<Integer, byte[]> entries = new TreeMap<>();
        int previous = 0;
        while (in.hasRemaining()) {
            if (in.remaining() < ENTRY_HEADER_LENGTH) {
                throw new MalformedBodyException("truncated extension");
            }
            final int type = in.getShort() & 0xffff;
            final int length = in.getShort() & 0xffff;
            if (type <= previous) {
                throw new MalformedBodyException("extension types out of order");
            }
            if (in.remaining() < length) {
                throw new MalformedBodyException("truncated extension");
            }
            final byte[] value = new byte[length];
            in.get(value);
            entries.put(type, value);
            previous = type;
        }
        return new Extensions(entries);
    }

    @Override
    public boolean equals(final Object o) {
        if (!(o instanceof Extensions other) || !other.entries.keySet().equals(entries.keySet())) {
            return false;
        }
        for (final Map.Entry<Integer, byte[]> e : entries.entrySet()) {
            if (!java.util.Arrays.equals(e.getValue(), other.entries.get(e.getKey()))) {
                return false;
            }
        }
        return true;
    }

    @Override
    public int hashCode() {
        return entries.keySet().hashCode();
    }

    @Override
    public String toString() {
        return "Extensions" + entries.keySet();
    }
}
