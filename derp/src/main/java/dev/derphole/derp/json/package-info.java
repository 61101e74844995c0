/**
 * A small, strict JSON reader and writer (RFC 8259) for the few JSON documents DERP needs: the
 * ClientInfo/ServerInfo boxes of the handshake, the DERP map, and machine-readable CLI output.
 *
 * <p>{@link dev.derphole.derp.json.JsonReader} turns text into plain Java values (objects become
 * {@code LinkedHashMap<String, Object>} in document order, arrays {@code ArrayList<Object>}, numbers
 * {@code Long} or {@code Double}, {@code null} stays {@code null}). It enforces a nesting-depth and an
 * input-size limit and reports every malformed input as a {@link dev.derphole.derp.json.JsonException}
 * carrying the offset of the fault, never as any other exception, so it is safe on bytes from the
 * network. {@link dev.derphole.derp.json.JsonWriter} is the inverse for the same value types. Neither
 * is on a per-packet path; both allocate freely.
 */
package dev.derphole.derp.json;
