/** JMH benchmarks of the session's path-probe codec. Single-threaded. */
package dev.derphole.jmh.session;
