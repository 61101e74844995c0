/** JMH benchmarks of the session AEAD ({@code crypto-aesni}) on its own. Single-threaded. */
package dev.derphole.jmh.crypto;
