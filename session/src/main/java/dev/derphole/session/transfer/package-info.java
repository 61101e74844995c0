/**
 * One-shot byte transfers ({@code listen} / {@code pipe}): relay connection, token, rendezvous, then one stream
 * engine carrying stdin of the claimer into stdout of the listener, with status for {@code --verbose}.
 */
package dev.derphole.session.transfer;
