/**
 * The metadata {@code derphole send} puts in front of its one-shot byte stream, and where {@code derphole
 * receive} puts what follows it. Wire format (upstream {@code pkg/derphole/protocol/header.go}, byte for byte):
 * <pre>
 * "DERPHOLE1" (9 ASCII bytes) | u32 big-endian n (at most 1 MiB) | n bytes of JSON header | body
 *
 * {"version":1,"kind":"file","name":"a.txt","size":5,"verify":"8F3A-01BC-77D2","metadata":"eyJ..."}
 * </pre>
 * {@code kind} is {@code text} (body to EOF), {@code file} (exactly {@code size} bytes), {@code directory_tar}
 * (a tar stream of exactly {@code size} bytes), {@code ssh_invite} or {@code ssh_accept}. Empty or zero fields
 * are omitted, as Go's {@code omitempty} does; unknown fields are ignored on read. {@code verify} is
 * {@link dev.derphole.session.payload.VerifyCode} of the session token, {@code metadata} the base64 of a
 * {@link dev.derphole.session.payload.DirectoryMetadata} summary.
 * <p>
 * {@link dev.derphole.session.payload.PayloadHeaders} frames a {@link dev.derphole.session.payload.PayloadHeader}
 * and reads one back without consuming any body byte; every fault in the peer's bytes is a
 * {@link dev.derphole.session.payload.PayloadException} with a one-line message, and the length is checked
 * before anything is allocated for it. {@link dev.derphole.session.payload.VerifyCode#check} compares the
 * header's code with the receiver's token, {@link dev.derphole.session.payload.PayloadBody} copies a file body of
 * exactly {@code size} bytes, and {@link dev.derphole.session.payload.ReceiveTarget} resolves
 * {@code receive -o}. Control-plane code: it allocates freely and is stateless.
 * <p>
 * Directories travel as tar streams: a {@link dev.derphole.session.payload.TarPlan} sized before sending, a Go
 * {@code archive/tar} compatible {@link dev.derphole.session.payload.TarWriter}, and a strict, all-or-nothing
 * {@link dev.derphole.session.payload.TarExtractor}. Unlike upstream's, our entries carry the top directory's name
 * ({@code photos/a.jpg}); neither tool reads the other's tokens, so the streams never meet.
 */
package dev.derphole.session.payload;
