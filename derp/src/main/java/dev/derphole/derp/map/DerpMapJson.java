package dev.derphole.derp.map;

import dev.derphole.derp.json.JsonException;
import dev.derphole.derp.json.JsonReader;
import dev.derphole.derp.json.JsonWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * DERPMap JSON codec. Decoding follows Go's {@code encoding/json} into {@code tailcfg.DERPMap}: keys
 * match field names case-insensitively, unknown keys are ignored, {@code null} or an absent field
 * leaves the zero value, and a value of the wrong JSON type is an error. Stricter than Go: a field
 * given twice (in any letter case) is an error instead of last-wins, and a node's RegionID of 0 is
 * taken from its region while any other mismatch is an error.
 */
final class DerpMapJson {
    /** Our extension field: speak DERP over plain HTTP (ignored by Tailscale). */
    static final String PLAIN_HTTP_FIELD = "DerpholePlainHTTP";

    private static final int MAX_REGION_KEY_DIGITS = 10;

    private DerpMapJson() {
    }

    static DerpMap parse(final String json) throws DerpMapException {
        try {
            return fromJson(JsonReader.parse(json));
        } catch (final JsonException e) {
            throw new DerpMapException("DERP map is not valid JSON: " + e.getMessage(), e);
        }
    }

    static DerpMap parse(final byte[] utf8) throws DerpMapException {
        try {
            return fromJson(JsonReader.parse(utf8));
        } catch (final JsonException e) {
            throw new DerpMapException("DERP map is not valid JSON: " + e.getMessage(), e);
        }
    }

    static DerpMap fromJson(final Object root) throws DerpMapException {
        final Obj top = Obj.of(root, "");
        final boolean omitDefaultRegions = top.bool("omitDefaultRegions");
        final SortedMap<Integer, Double> scores = new TreeMap<>();
        final Obj home = top.object("HomeParams");
        if (home != null) {
            final Obj regionScore = home.object("RegionScore");
            if (regionScore != null) {
                for (final Map.Entry<String, Object> e : regionScore.map.entrySet()) {
                    final String path = regionScore.path + "[\"" + e.getKey() + "\"]";
                    final int id = regionKey(e.getKey(), path);
                    if (!(e.getValue() instanceof Number n)) {
                        throw new DerpMapException(path + ": expected a number, got " + typeName(e.getValue()));
                    }
                    if (scores.put(id, n.doubleValue()) != null) {
                        throw new DerpMapException(path + ": region " + id + " given twice");
                    }
                }
            }
        }
        final Obj regionsObj = top.object("Regions");
        if (regionsObj == null) {
            throw new DerpMapException("DERP map has no \"Regions\"");
        }
        final SortedMap<Integer, DerpRegion> regions = new TreeMap<>();
        for (final Map.Entry<String, Object> e : regionsObj.map.entrySet()) {
            final String path = "Regions[\"" + e.getKey() + "\"]";
            final int id = regionKey(e.getKey(), path);
            if (e.getValue() == null) {
                throw new DerpMapException(path + ": region is null");
            }
            if (regions.put(id, region(Obj.of(e.getValue(), path), id)) != null) {
                throw new DerpMapException(path + ": region " + id + " given twice");
            }
        }
        try {
            return new DerpMap(regions, scores, omitDefaultRegions);
        } catch (final IllegalArgumentException e) {
            throw new DerpMapException("invalid DERP map: " + e.getMessage(), e);
        }
    }

    private static DerpRegion region(final Obj r, final int keyId) throws DerpMapException {
        final int regionId = r.integer("RegionID");
        if (regionId != keyId) {
            throw new DerpMapException(r.path + ": key " + keyId + " does not match RegionID " + regionId);
        }
        final List<DerpNode> nodes = new ArrayList<>();
        final List<Object> rawNodes = r.array("Nodes");
        for (int i = 0; i < rawNodes.size(); i++) {
            final String path = r.path + ".Nodes[" + i + "]";
            if (rawNodes.get(i) == null) {
                throw new DerpMapException(path + ": node is null");
            }
            nodes.add(node(Obj.of(rawNodes.get(i), path), regionId));
        }
        try {
            return new DerpRegion(regionId, r.string("RegionCode"), r.string("RegionName"), r.number("Latitude"),
                r.number("Longitude"), r.bool("Avoid"), r.bool("NoMeasureNoHome"), nodes);
        } catch (final IllegalArgumentException e) {
            throw new DerpMapException(r.path + ": " + e.getMessage(), e);
        }
    }

    private static DerpNode node(final Obj n, final int regionId) throws DerpMapException {
        final int nodeRegionId = n.integer("RegionID");
        if (nodeRegionId != 0 && nodeRegionId != regionId) {
            throw new DerpMapException(n.path + ": RegionID " + nodeRegionId + " differs from its region " + regionId);
        }
        try {
            return new DerpNode(n.string("Name"), regionId, n.string("HostName"), n.string("CertName"),
                n.string("IPv4"), n.string("IPv6"), n.integer("STUNPort"), n.bool("STUNOnly"), n.integer("DERPPort"),
                n.bool("InsecureForTests"), n.string("STUNTestIP"), n.bool("CanPort80"), n.bool(PLAIN_HTTP_FIELD));
        } catch (final IllegalArgumentException e) {
            throw new DerpMapException(n.path + ": " + e.getMessage(), e);
        }
    }

    private static int regionKey(final String key, final String path) throws DerpMapException {
        boolean digits = !key.isEmpty() && key.length() <= MAX_REGION_KEY_DIGITS;
        for (int i = 0; digits && i < key.length(); i++) {
            digits = key.charAt(i) >= '0' && key.charAt(i) <= '9';
        }
        final long id = digits ? Long.parseLong(key) : -1;
        if (id <= 0 || id > DerpRegion.MAX_REGION_ID) {
            throw new DerpMapException(path + ": \"" + key + "\" is not a region id (1.." + DerpRegion.MAX_REGION_ID
                + ")");
        }
        return (int) id;
    }

    static String write(final DerpMap map, final boolean pretty) {
        final Map<String, Object> top = new LinkedHashMap<>();
        if (!map.regionScores().isEmpty()) {
            top.put("HomeParams", Map.of("RegionScore", map.regionScores()));
        }
        final Map<String, Object> regions = new LinkedHashMap<>();
        for (final DerpRegion r : map.regions().values()) {
            regions.put(Integer.toString(r.regionId()), regionJson(r));
        }
        top.put("Regions", regions);
        if (map.omitDefaultRegions()) {
            top.put("omitDefaultRegions", true);
        }
        return pretty ? JsonWriter.writePretty(top) : JsonWriter.write(top);
    }

    private static Map<String, Object> regionJson(final DerpRegion r) {
        final Map<String, Object> o = new LinkedHashMap<>();
        o.put("RegionID", r.regionId());
        o.put("RegionCode", r.regionCode());
        o.put("RegionName", r.regionName());
        putIf(o, "Latitude", r.latitude(), r.latitude() != 0.0);
        putIf(o, "Longitude", r.longitude(), r.longitude() != 0.0);
        putIf(o, "Avoid", true, r.avoid());
        putIf(o, "NoMeasureNoHome", true, r.noMeasureNoHome());
        final List<Object> nodes = new ArrayList<>();
        for (final DerpNode n : r.nodes()) {
            nodes.add(nodeJson(n));
        }
        o.put("Nodes", nodes);
        return o;
    }

    private static Map<String, Object> nodeJson(final DerpNode n) {
        final Map<String, Object> o = new LinkedHashMap<>();
        o.put("Name", n.name());
        o.put("RegionID", n.regionId());
        o.put("HostName", n.hostName());
        putIf(o, "CertName", n.certName(), !n.certName().isEmpty());
        putIf(o, "IPv4", n.ipv4(), !n.ipv4().isEmpty());
        putIf(o, "IPv6", n.ipv6(), !n.ipv6().isEmpty());
        putIf(o, "STUNPort", n.stunPort(), n.stunPort() != 0);
        putIf(o, "STUNOnly", true, n.stunOnly());
        putIf(o, "DERPPort", n.derpPort(), n.derpPort() != 0);
        putIf(o, "InsecureForTests", true, n.insecureForTests());
        putIf(o, "STUNTestIP", n.stunTestIp(), !n.stunTestIp().isEmpty());
        putIf(o, "CanPort80", true, n.canPort80());
        putIf(o, PLAIN_HTTP_FIELD, true, n.plainHttp());
        return o;
    }

    private static void putIf(final Map<String, Object> o, final String key, final Object value,
                              final boolean present) {
        if (present) {
            o.put(key, value);
        }
    }

    private static String typeName(final Object v) {
        return switch (v) {
            case null -> "null";
            case String s -> "a string";
            case Boolean b -> "a boolean";
            case Number n -> "the number " + n;
            case Map<?, ?> m -> "an object";
            case List<?> l -> "an array";
            default -> v.getClass().getSimpleName();
        };
    }

    /** A JSON object with its path, read the way Go decodes a struct. */
    private static final class Obj {
        final Map<String, Object> map;
        final String path;

        private Obj(final Map<String, Object> map, final String path) {
            this.map = map;
            this.path = path;
        }

        @SuppressWarnings("unchecked")
        static Obj of(final Object value, final String path) throws DerpMapException {
            if (!(value instanceof Map<?, ?> m)) {
                throw new DerpMapException((path.isEmpty() ? "DERP map" : path) + ": expected an object, got "
                    + typeName(value));
            }
            // JsonReader builds objects as Map<String, Object>.
            return new Obj((Map<String, Object>) m, path);
        }

        /** @return the value of {@code field} (letter case ignored), or null when absent or JSON null */
        Object get(final String field) throws DerpMapException {
            String found = null;
            Object value = null;
            for (final Map.Entry<String, Object> e : map.entrySet()) {
                if (e.getKey().equalsIgnoreCase(field)) {
                    if (found != null) {
                        throw new DerpMapException(child(field) + ": given twice (\"" + found + "\" and \""
                            + e.getKey() + "\")");
                    }
                    found = e.getKey();
                    value = e.getValue();
                }
            }
            return value;
        }

        String string(final String field) throws DerpMapException {
            final Object v = get(field);
            if (v == null) {
                return "";
            }
            if (v instanceof String s) {
                return s;
            }
            throw typeError(field, "a string", v);
        }

        int integer(final String field) throws DerpMapException {
            final Object v = get(field);
            if (v == null) {
                return 0;
            }
            if (!(v instanceof Long l)) {
                throw typeError(field, "an integer", v);
            }
            if (l < Integer.MIN_VALUE || l > Integer.MAX_VALUE) {
                throw new DerpMapException(child(field) + ": " + l + " is out of range");
            }
            return l.intValue();
        }

        double number(final String field) throws DerpMapException {
            final Object v = get(field);
            if (v == null) {
                return 0.0;
            }
            if (v instanceof Number n) {
                return n.doubleValue();
            }
            throw typeError(field, "a number", v);
        }

        boolean bool(final String field) throws DerpMapException {
            final Object v = get(field);
            if (v == null) {
                return false;
            }
            if (v instanceof Boolean b) {
                return b;
            }
            throw typeError(field, "a boolean", v);
        }

        Obj object(final String field) throws DerpMapException {
            final Object v = get(field);
            return v == null ? null : Obj.of(v, child(field));
        }

        @SuppressWarnings("unchecked")
        List<Object> array(final String field) throws DerpMapException {
            final Object v = get(field);
            if (v == null) {
                return List.of();
            }
            if (v instanceof List<?> l) {
                return (List<Object>) l;
            }
            throw typeError(field, "an array", v);
        }

        private DerpMapException typeError(final String field, final String expected, final Object got) {
            return new DerpMapException(child(field) + ": expected " + expected + ", got " + typeName(got));
        }

        private String child(final String field) {
            return path.isEmpty() ? field : path + "." + field;
        }
    }
}
