package dev.derphole.session.portmap;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.SocketException;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A NAT-PMP and PCP server on 127.0.0.1 (random port) that behaves like miniupnpd where it matters: NAT-PMP map
 * and external-address answers, PCP MAP answers copying the request's nonce/protocol/port, deletes (NAT-PMP by
 * port, PCP only with the creating nonce), and configurable misbehaviour. One receive thread; settings are
 * volatile and may change while it runs.
 */
final class FakePxpServer implements AutoCloseable {
    enum PcpMode {
        /** Answer MAP requests. */
        ANSWER,
        /** Answer like miniupnpd built without PCP: an 8-byte NAT-PMP "unsupported version" header. */
        PMP_HEADER_UNSUPPORTED,
        /** Answer with a PCP UNSUPP_VERSION response (a version-1 server). */
        PCP_UNSUPP_VERSION,
        /** Answer NOT_AUTHORIZED. */
        REFUSE,
        /** Say nothing. */
        SILENT
    }

    enum PmpMode {
        ANSWER,
        /** Result 2 (not authorized) to map requests. */
        REFUSE,
        /** Result 3 (network failure) to external-address requests, as miniupnpd with a private WAN address. */
        NO_EXTERNAL,
        SILENT
    }

    /**
     * One request received.
     *
     * @param version           0 NAT-PMP, 2 PCP
     * @param opcode            request opcode
     * @param internalPort      map requests
     * @param suggestedPort     map requests
     * @param lifetime          map requests
     * @param nonce             PCP
     * @param clientAddress     PCP client address field (16 bytes)
     * @param suggestedExternal PCP suggested external address field (16 bytes)
     * @param protocol          PCP protocol
     */
    record Request(int version, int opcode, int internalPort, int suggestedPort, long lifetime, byte[] nonce,
                   byte[] clientAddress, byte[] suggestedExternal, int protocol) {
    }

    private record Entry(int externalPort, byte[] nonce, boolean pcp) {
    }

    final List<Request> requests = new CopyOnWriteArrayList<>();
    final Map<Integer, Entry> mappings = new ConcurrentHashMap<>();
    volatile PcpMode pcpMode = PcpMode.ANSWER;
    volatile PmpMode pmpMode = PmpMode.ANSWER;
    volatile byte[] externalAddress = {(byte)203, 0, 113, 7};
    /** External port to assign; 0 means "the suggested one, else the internal port" (miniupnpd's choice). */
    volatile int forcedExternalPort;
    /** Lifetime to grant; 0 means "as requested". */
    volatile long grantedLifetime;
    volatile long epochOffset = 1000;
    /** Garbage and wrong answers sent before each real answer. */
    volatile boolean noiseFirst;
    /** Refuse refreshes (a map request for an internal port already mapped), dropping the mapping. */
    volatile boolean refuseRefresh;
    /** Every answer twice, as a gateway answers a request and its retransmission. */
    volatile boolean answerTwice;

    private final DatagramSocket socket;
    private final Thread thread;
    private final long startNs = System.nanoTime();

    FakePxpServer() throws SocketException {
        socket = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        thread = Thread.ofPlatform().name("fake-pxp").daemon(true).start(this::serve);
    }

    InetSocketAddress address() {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), socket.getLocalPort());
    }

    int port() {
        return socket.getLocalPort();
    }

    long mapRequests(final int version, final long lifetime) {
        return requests.stream().filter(r -> r.version == version && r.opcode == 1 && r.lifetime == lifetime).count();
    }

    long mapRequests(final int version) {
        return requests.stream().filter(r -> r.version == version && r.opcode == 1 && r.lifetime != 0).count();
    }

    List<Request> deletes() {
        return requests.stream().filter(r -> r.opcode == 1 && r.lifetime == 0).toList();
    }

    private void serve() {
        final byte[] buf = new byte[2048];
        final DatagramPacket p = new DatagramPacket(buf, buf.length);
        while (!socket.isClosed()) {
            try {
                p.setLength(buf.length);
                socket.receive(p);
                final byte[] req = Arrays.copyOf(buf, p.getLength());
                if (req.length >= 2 && req[0] == 0) {
                    onPmp(req, p.getSocketAddress());
                } else if (req.length >= 24) {
                    onPcp(req, p.getSocketAddress());
                }
            } catch (final IOException e) {
                return;
            }
        }
    }

    private long epoch() {
        return epochOffset + (System.nanoTime() - startNs) / 1_000_000_000L;
    }

    private void onPmp(final byte[] req, final SocketAddress to) throws IOException {
        final int op = req[1] & 0xff;
        if (op == 0) {
            requests.add(new Request(0, 0, 0, 0, 0, null, null, null, 0));
            if (pmpMode == PmpMode.SILENT) {
                return;
            }
            final byte[] resp = new byte[12];
            resp[1] = (byte)128;
            NatPmpCodec.putU32(resp, 4, epoch());
            if (pmpMode == PmpMode.NO_EXTERNAL) {
                resp[3] = 3;
            } else {
                System.arraycopy(externalAddress, 0, resp, 8, 4);
            }
            send(resp, to);
            return;
        }
        if (op != 1 || req.length < 12) {
            return;
        }
        final int iport = NatPmpCodec.u16(req, 4);
        final int eport = NatPmpCodec.u16(req, 6);
        final long lifetime = NatPmpCodec.u32(req, 8);
        requests.add(new Request(0, 1, iport, eport, lifetime, null, null, null, 17));
        if (pmpMode == PmpMode.SILENT) {
            return;
        }
        final byte[] resp = new byte[16];
        resp[1] = (byte)129;
        NatPmpCodec.putU32(resp, 4, epoch());
        NatPmpCodec.putU16(resp, 8, iport);
        if (noiseFirst) {
            send(new byte[] {0, (byte)129, 0}, to);
            final byte[] other = resp.clone();
            NatPmpCodec.putU16(other, 8, iport + 1);
            NatPmpCodec.putU16(other, 10, 9999);
            NatPmpCodec.putU32(other, 12, 60);
            send(other, to);
        }
        if (pmpMode == PmpMode.REFUSE || refuseRefresh && lifetime != 0 && mappings.remove(iport) != null) {
            resp[3] = 2;
            send(resp, to);
            return;
        }
        if (lifetime == 0) {
            mappings.remove(iport);
            send(resp, to);
            return;
        }
        final int assigned = forcedExternalPort != 0 ? forcedExternalPort : eport != 0 ? eport : iport;
        mappings.put(iport, new Entry(assigned, null, false));
        NatPmpCodec.putU16(resp, 10, assigned);
        NatPmpCodec.putU32(resp, 12, grantedLifetime != 0 ? grantedLifetime : lifetime);
        send(resp, to);
    }

    private void onPcp(final byte[] req, final SocketAddress to) throws IOException {
        final int op = req[1] & 0x7f;
        final long lifetime = NatPmpCodec.u32(req, 4);
        if (op != 1 || req.length < 60) {
            return;
        }
        final byte[] nonce = Arrays.copyOfRange(req, 24, 36);
        final int iport = NatPmpCodec.u16(req, 40);
        final int eport = NatPmpCodec.u16(req, 42);
        requests.add(new Request(req[0] & 0xff, 1, iport, eport, lifetime, nonce, Arrays.copyOfRange(req, 8, 24),
            Arrays.copyOfRange(req, 44, 60), req[36] & 0xff));
        switch (pcpMode) {
            case SILENT -> {
                return;
            }
            case PMP_HEADER_UNSUPPORTED -> {
                final byte[] resp = new byte[8];
                resp[1] = (byte)(128 + req[1]);
                resp[3] = 1;
                NatPmpCodec.putU32(resp, 4, epoch());
                send(resp, to);
                return;
            }
            default -> {
                // Answered below.
            }
        }
        final byte[] resp = req.clone();
        resp[1] = (byte)(req[1] | 0x80);
        resp[2] = 0;
        Arrays.fill(resp, 12, 24, (byte)0);
        NatPmpCodec.putU32(resp, 8, epoch());
        if (noiseFirst) {
            final byte[] wrongNonce = resp.clone();
            wrongNonce[24] ^= 1;
            NatPmpCodec.putU16(wrongNonce, 42, 9999);
            NatPmpCodec.putU32(wrongNonce, 4, 60);
            send(wrongNonce, to);
            send(Arrays.copyOf(resp, 30), to);
        }
        if (pcpMode == PcpMode.PCP_UNSUPP_VERSION) {
            resp[0] = 1;
            resp[3] = 1;
            NatPmpCodec.putU32(resp, 4, 0);
            send(resp, to);
            return;
        }
        if (pcpMode == PcpMode.REFUSE || refuseRefresh && lifetime != 0 && mappings.remove(iport) != null) {
            resp[3] = 2;
            NatPmpCodec.putU32(resp, 4, 0);
            send(resp, to);
            return;
        }
        if (lifetime == 0) {
            final Entry e = mappings.get(iport);
            if (e != null && e.pcp && !Arrays.equals(e.nonce, nonce)) {
                resp[3] = 2;
            } else {
                mappings.remove(iport);
            }
            send(resp, to);
            return;
        }
        final int assigned = forcedExternalPort != 0 ? forcedExternalPort : eport != 0 ? eport : iport;
        mappings.put(iport, new Entry(assigned, nonce, true));
        NatPmpCodec.putU32(resp, 4, grantedLifetime != 0 ? grantedLifetime : lifetime);
        NatPmpCodec.putU16(resp, 42, assigned);
        Arrays.fill(resp, 44, 54, (byte)0);
        resp[54] = (byte)0xff;
        resp[55] = (byte)0xff;
        System.arraycopy(externalAddress, 0, resp, 56, 4);
        send(resp, to);
    }

    private void send(final byte[] b, final SocketAddress to) throws IOException {
        socket.send(new DatagramPacket(b, b.length, to));
        if (answerTwice) {
            socket.send(new DatagramPacket(b, b.length, to));
        }
    }

    @Override
    public void close() {
        socket.close();
        try {
            thread.join(1000);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
