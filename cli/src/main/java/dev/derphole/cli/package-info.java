/**
 * The {@code derphole} and {@code derptun} command lines (picocli). Human output goes to stderr, stdout
 * carries only payload or machine output; exit codes are 0 ok, 1 runtime failure, 2 usage.
 */
package dev.derphole.cli;
