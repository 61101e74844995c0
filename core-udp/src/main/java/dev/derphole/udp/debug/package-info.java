/**
 * Test tools shipped with the product (as Aeron ships its loss generators): a seeded
 * {@link dev.derphole.udp.debug.LossModel} and decorators that apply it to a
 * {@link dev.derphole.udp.DatagramEngine} or a {@link dev.derphole.udp.PacketPath}, so the layers above can be
 * tested against drops, duplicates and reordering that repeat exactly for a seed.
 */
package dev.derphole.udp.debug;
