/**
 * Port mappings from the home router, so that a peer behind a NAT can be reached at a stable external address:
 * NAT-PMP (RFC 6886), PCP (RFC 6887) and UPnP IGD (WANIPConnection:1/2, WANPPPConnection:1), written to
 * interoperate with miniupnpd 2.3.
 * <p>
 * {@link dev.derphole.session.portmap.PortMapper} is the facade: one daemon thread per local UDP port that finds
 * the first protocol the gateway speaks, keeps the mapping refreshed at half its lifetime, tells a
 * {@link dev.derphole.session.portmap.PortMapper.Listener} when the mapping appears, changes or is lost, and deletes
 * it on close. {@link dev.derphole.session.portmap.Gateways} finds the default IPv4 gateway and our address
 * towards it. The protocol clients ({@link dev.derphole.session.portmap.NatPmpClient},
 * {@link dev.derphole.session.portmap.PcpClient}, {@link dev.derphole.session.portmap.UpnpIgdClient}) can be used
 * on their own; every parser of network bytes validates lengths and fields, counts what it drops in
 * {@link dev.derphole.session.portmap.PortmapCounters} and never throws to its caller.
 * <p>
 * The clients only ever send to the gateway they were given: responses from other addresses are dropped, and a
 * UPnP URL that names another host is pointed back at the gateway.
 */
package dev.derphole.session.portmap;
