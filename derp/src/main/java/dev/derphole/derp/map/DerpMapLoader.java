package dev.derphole.derp.map;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;

/**
 * Loads a {@link DerpMap} from a {@link DerpMapSource}: a file, an {@code http(s)} URL, a single relay
 * URL, or the snapshot of Tailscale's public map bundled in the jar. Every failure is a
 * {@link DerpMapException} whose message names the source ({@code DERP map from --derp-map x: ...}).
 *
 * <p>The public map is never fetched implicitly: the default is the bundled snapshot, and
 * {@link #loadPublic(Duration)} fetches {@value #PUBLIC_MAP_URL} only when a caller asks for it.
 * Thread-safe (stateless).
 */
public final class DerpMapLoader {
    /** Tailscale's public DERP map (upstream-v0.10.3 §6.5). Fetched only by {@link #loadPublic}. */
    public static final String PUBLIC_MAP_URL = "https://controlplane.tailscale.com/derpmap/default";
    /** Class-path resource holding the bundled snapshot of the public map, in DERPMap JSON. */
    public static final String BUNDLED_RESOURCE = "/dev/derphole/derp/map/public-derp-map.json";
    /** Class-path resource recording where and when the snapshot was taken. */
    public static final String BUNDLED_INFO_RESOURCE = "/dev/derphole/derp/map/public-derp-map.properties";
    /** Largest map accepted from a file or URL, in bytes (the public map is about 6 KiB). */
    public static final int MAX_MAP_BYTES = 4 * 1024 * 1024;
    /** Connect and whole-request timeout for URL sources when the caller gives none. */
    public static final Duration DEFAULT_HTTP_TIMEOUT = Duration.ofSeconds(10);

    private DerpMapLoader() {
    }

    /**
     * Loads the map {@code source} names, with {@link #DEFAULT_HTTP_TIMEOUT} for URLs.
     *
     * @param source where the map comes from
     * @return the validated map
     * @throws DerpMapException naming the source and the fault
     */
    public static DerpMap load(final DerpMapSource source) throws DerpMapException {
        return load(source, DEFAULT_HTTP_TIMEOUT);
    }

    /**
     * Loads the map {@code source} names.
     *
     * @param source      where the map comes from
     * @param httpTimeout connect and request timeout for a URL source
     * @return the validated map
     * @throws DerpMapException naming the source and the fault
     */
    public static DerpMap load(final DerpMapSource source, final Duration httpTimeout) throws DerpMapException {
        try {
            return switch (source) {
                case DerpMapSource.Bundled b -> loadBundled();
                case DerpMapSource.Relay r -> DerpRelayUrl.parse(r.url()).toDerpMap();
                case DerpMapSource.MapFile f -> loadFile(toPath(f.path()));
                case DerpMapSource.MapUrl u -> loadUrl(toHttpUri(u.url()), httpTimeout);
            };
        } catch (final DerpMapException e) {
            throw new DerpMapException("DERP map from " + source.describe() + ": " + e.getMessage(), e);
        }
    }

    /**
     * @return the bundled snapshot of Tailscale's public map
     * @throws DerpMapException only if the jar is broken (resource missing or invalid)
     */
    public static DerpMap loadBundled() throws DerpMapException {
        try (InputStream in = DerpMapLoader.class.getResourceAsStream(BUNDLED_RESOURCE)) {
            if (in == null) {
                throw new DerpMapException("resource " + BUNDLED_RESOURCE + " is missing from the class path");
            }
            return DerpMap.parse(readCapped(in));
        } catch (final IOException e) {
            throw new DerpMapException("cannot read resource " + BUNDLED_RESOURCE + ": " + e.getMessage(), e);
        }
    }

    /**
     * @param path a DERPMap JSON file
     * @return the validated map
     * @throws DerpMapException when the file is missing, unreadable, larger than {@link #MAX_MAP_BYTES}
     *                          or not a valid map
     */
    public static DerpMap loadFile(final Path path) throws DerpMapException {
        final byte[] bytes;
        try (InputStream in = Files.newInputStream(path)) {
            bytes = readCapped(in);
        } catch (final NoSuchFileException e) {
            throw new DerpMapException("no such file: " + path, e);
        } catch (final AccessDeniedException e) {
            throw new DerpMapException("permission denied: " + path, e);
        } catch (final IOException e) {
            throw new DerpMapException("cannot read " + path + ": " + e.getMessage(), e);
        }
        return DerpMap.parse(bytes);
    }

    /**
     * Fetches a map with a GET request (redirects followed, except from https to http).
     *
     * @param url     {@code http} or {@code https} URL
     * @param timeout connect timeout and whole-request timeout
     * @return the validated map
     * @throws DerpMapException on a network error, timeout, status other than 200, a body larger than
     *                          {@link #MAX_MAP_BYTES}, or an invalid map
     */
    public static DerpMap loadUrl(final URI url, final Duration timeout) throws DerpMapException {
        final String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw new DerpMapException("only http:// and https:// map URLs are supported: " + url);
        }
        final HttpRequest request;
        try {
            request = HttpRequest.newBuilder(url)
                .timeout(timeout)
                .header("Accept", "application/json")
                .GET()
                .build();
        } catch (final IllegalArgumentException e) {
            throw new DerpMapException("invalid URL " + url + ": " + e.getMessage(), e);
        }
        try (HttpClient client = HttpClient.newBuilder()
            .connectTimeout(timeout)
            .followRedirects(HttpClient.Redirect.NORMAL)
            .build()) {
            final HttpResponse<InputStream> response = client.send(request, HttpResponse.BodyHandlers.ofInputStream());
            try (InputStream body = response.body()) {
                if (response.statusCode() != 200) {
                    throw new DerpMapException("HTTP status " + response.statusCode() + " from " + url);
                }
                return DerpMap.parse(readCapped(body));
            }
        } catch (final HttpTimeoutException e) {
            throw new DerpMapException("timed out after " + timeout.toMillis() + " ms fetching " + url, e);
        } catch (final IOException e) {
            throw new DerpMapException("cannot fetch " + url + ": " + e, e);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DerpMapException("interrupted while fetching " + url, e);
        }
    }

    /**
     * Fetches Tailscale's current public map from {@value #PUBLIC_MAP_URL}. Only on explicit request
     * (for example a refresh command); the default map is the bundled snapshot.
     *
     * @param timeout connect and request timeout
     * @return the validated map
     * @throws DerpMapException as {@link #loadUrl(URI, Duration)}
     */
    public static DerpMap loadPublic(final Duration timeout) throws DerpMapException {
        return loadUrl(URI.create(PUBLIC_MAP_URL), timeout);
    }

    private static byte[] readCapped(final InputStream in) throws IOException, DerpMapException {
        final byte[] bytes = in.readNBytes(MAX_MAP_BYTES + 1);
        if (bytes.length > MAX_MAP_BYTES) {
            throw new DerpMapException("larger than " + MAX_MAP_BYTES + " bytes");
        }
        return bytes;
    }

    private static Path toPath(final String path) throws DerpMapException {
        try {
            return Path.of(path);
        } catch (final InvalidPathException e) {
            throw new DerpMapException("invalid path: " + e.getMessage(), e);
        }
    }

    private static URI toHttpUri(final String url) throws DerpMapException {
        try {
            return new URI(url);
        } catch (final URISyntaxException e) {
            throw new DerpMapException("invalid URL: " + e.getMessage(), e);
        }
    }
}
