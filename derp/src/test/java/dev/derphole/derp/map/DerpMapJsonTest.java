package dev.derphole.derp.map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class DerpMapJsonTest {

    private static final String FULL_MAP = """
        {
          "HomeParams": {"RegionScore": {"1": 0.5, "2": 2}},
          "Regions": {
            "2": {"RegionID": 2, "RegionCode": "sfo", "RegionName": "San Francisco",
                  "Nodes": [{"Name": "2a", "RegionID": 2, "HostName": "derp2.example.com"}]},
            "1": {
              "RegionID": 1, "RegionCode": "nyc", "RegionName": "New York City",
              "Latitude": 40.7128, "Longitude": -74.006, "Avoid": true, "NoMeasureNoHome": true,
              "Nodes": [
                {"Name": "1a", "RegionID": 1, "HostName": "derp1.example.com", "CertName": "cert.example.com",
                 "IPv4": "192.0.2.1", "IPv6": "2001:db8::1", "STUNPort": 3479, "STUNOnly": false,
                 "DERPPort": 8443, "InsecureForTests": true, "STUNTestIP": "127.0.0.1", "CanPort80": true},
                {"Name": "1b", "RegionID": 1, "HostName": "stun1.example.com", "STUNOnly": true, "STUNPort": -1}
              ]
            }
          },
          "omitDefaultRegions": true
        }""";

    @Test
    void shouldParseEveryTailscaleField() throws DerpMapException {
        final DerpMap map = DerpMap.parse(FULL_MAP);

        assertThat(map.regions().keySet()).containsExactly(1, 2);
        assertThat(map.regionScores()).containsEntry(1, 0.5).containsEntry(2, 2.0);
        assertThat(map.omitDefaultRegions()).isTrue();
        final DerpRegion nyc = map.region(1).orElseThrow();
        assertThat(nyc.regionCode()).isEqualTo("nyc");
        assertThat(nyc.regionName()).isEqualTo("New York City");
        assertThat(nyc.latitude()).isEqualTo(40.7128);
        assertThat(nyc.longitude()).isEqualTo(-74.006);
        assertThat(nyc.avoid()).isTrue();
        assertThat(nyc.noMeasureNoHome()).isTrue();
        assertThat(nyc.nodes()).hasSize(2);
        assertThat(nyc.nodes().get(0)).isEqualTo(new DerpNode("1a", 1, "derp1.example.com", "cert.example.com",
            "192.0.2.1", "2001:db8::1", 3479, false, 8443, true, "127.0.0.1", true, false));
        assertThat(nyc.nodes().get(1).stunOnly()).isTrue();
        assertThat(nyc.nodes().get(1).stunEnabled()).isFalse();
        assertThat(nyc.derpNodes()).extracting(DerpNode::name).containsExactly("1a");
    }

    @Test
    void shouldMatchKeysCaseInsensitivelyAndIgnoreUnknownKeysLikeGo() throws DerpMapException {
        final DerpMap map = DerpMap.parse("""
            {"regions": {"7": {"regionid": 7, "REGIONCODE": "x", "extra": [1, {"y": null}],
              "nodes": [{"name": "7a", "hostname": "h.example", "derpport": 8443, "stunport": 0, "ipv4": "none",
                         "future": {"deep": [true]}}]}},
             "Unknown": 1, "HomeParams": null}""");

        final DerpNode node = map.region(7).orElseThrow().nodes().get(0);
        assertThat(node.regionId()).isEqualTo(7);
        assertThat(node.derpPort()).isEqualTo(8443);
        assertThat(node.ipv4()).isEqualTo("none");
        assertThat(node.dialsIpv4()).isFalse();
        assertThat(map.region(7).orElseThrow().regionCode()).isEqualTo("x");
    }

    @Test
    void shouldTakeAnOmittedNodeRegionIdFromItsRegion() throws DerpMapException {
        final DerpMap map = DerpMap.parse("{\"Regions\":{\"3\":{\"RegionID\":3,\"Nodes\":[{\"HostName\":\"h\"}]}}}");
        assertThat(map.region(3).orElseThrow().nodes().get(0).regionId()).isEqualTo(3);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
        not json | not valid JSON
        [] | DERP map: expected an object, got an array
        {} | no "Regions"
        {"Regions":{}} | the map has no regions
        {"Regions":[]} | Regions: expected an object, got an array
        {"Regions":{"x":{}}} | "x" is not a region id
        {"Regions":{"0":{}}} | "0" is not a region id
        {"Regions":{"99999999999":{}}} | is not a region id
        {"Regions":{"1":null}} | Regions["1"]: region is null
        {"Regions":{"1":{"RegionID":2}}} | key 1 does not match RegionID 2
        {"Regions":{"1":{}}} | key 1 does not match RegionID 0
        {"Regions":{"1":{"RegionID":"1"}}} | Regions["1"].RegionID: expected an integer, got a string
        {"Regions":{"1":{"RegionID":1.0}}} | expected an integer, got the number 1.0
        {"Regions":{"1":{"RegionID":4294967297}}} | is out of range
        {"Regions":{"1":{"RegionID":1,"regionID":1}}} | Regions["1"].RegionID: given twice
        {"Regions":{"1":{"RegionID":1,"Nodes":{}}}} | Regions["1"].Nodes: expected an array
        {"Regions":{"1":{"RegionID":1,"Nodes":[null]}}} | Regions["1"].Nodes[0]: node is null
        {"Regions":{"1":{"RegionID":1,"Nodes":[{}]}}} | Regions["1"].Nodes[0]: HostName is required
        {"Regions":{"1":{"RegionID":1,"Nodes":[{"HostName":"a b"}]}}} | HostName is not a host name
        {"Regions":{"1":{"RegionID":1,"Nodes":[{"HostName":"h","RegionID":2}]}}} | RegionID 2 differs from its region 1
        {"Regions":{"1":{"RegionID":1,"Nodes":[{"HostName":"h","DERPPort":65536}]}}} | DERPPort must be
        {"Regions":{"1":{"RegionID":1,"Nodes":[{"HostName":"h","DERPPort":-1}]}}} | DERPPort must be
        {"Regions":{"1":{"RegionID":1,"Nodes":[{"HostName":"h","STUNPort":-2}]}}} | STUNPort must be
        {"Regions":{"1":{"RegionID":1,"Nodes":[{"HostName":"h","STUNPort":70000}]}}} | STUNPort must be
        {"Regions":{"1":{"RegionID":1,"Nodes":[{"HostName":"h","STUNOnly":1}]}}} | STUNOnly: expected a boolean
        {"Regions":{"1":{"RegionID":1,"Nodes":[{"HostName":"h","STUNTestIP":"x"}]}}} | STUNTestIP is not an IP literal
        {"Regions":{"1":{"RegionID":1,"Nodes":[{"HostName":"h","STUNOnly":true}]}}} | no region has a DERP node
        {"Regions":{"1":{"RegionID":1}}} | no region has a DERP node
        {"Regions":{"1":{"RegionID":1,"Latitude":"n"}}} | Latitude: expected a number
        {"HomeParams":{"RegionScore":{"a":1}},"Regions":{}} | HomeParams.RegionScore["a"]
        {"HomeParams":{"RegionScore":{"1":"x"}},"Regions":{}} | expected a number, got a string
        {"HomeParams":{"RegionScore":{"1":1,"01":2}},"Regions":{}} | region 1 given twice
        {"omitDefaultRegions":"yes","Regions":{}} | omitDefaultRegions: expected a boolean
        """)
    void shouldRejectInvalidMapsNamingTheField(final String json, final String expectedMessagePart) {
        assertThatThrownBy(() -> DerpMap.parse(json))
            .isInstanceOf(DerpMapException.class)
            .hasMessageContaining(expectedMessagePart);
    }

    @Test
    void shouldWriteGoFieldOrderAndOmitEmptyFields() throws DerpMapException {
        final DerpMap map = DerpMap.parse(FULL_MAP);
        assertThat(map.toJson()).isEqualTo(
            "{\"HomeParams\":{\"RegionScore\":{\"1\":0.5,\"2\":2.0}},\"Regions\":{"
                + "\"1\":{\"RegionID\":1,\"RegionCode\":\"nyc\",\"RegionName\":\"New York City\",\"Latitude\":40.7128,"
                + "\"Longitude\":-74.006,\"Avoid\":true,\"NoMeasureNoHome\":true,\"Nodes\":["
                + "{\"Name\":\"1a\",\"RegionID\":1,\"HostName\":\"derp1.example.com\","
                + "\"CertName\":\"cert.example.com\","
                + "\"IPv4\":\"192.0.2.1\",\"IPv6\":\"2001:db8::1\",\"STUNPort\":3479,\"DERPPort\":8443,"
                + "\"InsecureForTests\":true,\"STUNTestIP\":\"127.0.0.1\",\"CanPort80\":true},"
                + "{\"Name\":\"1b\",\"RegionID\":1,\"HostName\":\"stun1.example.com\",\"STUNPort\":-1,"
                + "\"STUNOnly\":true}]},"
                + "\"2\":{\"RegionID\":2,\"RegionCode\":\"sfo\",\"RegionName\":\"San Francisco\",\"Nodes\":["
                + "{\"Name\":\"2a\",\"RegionID\":2,\"HostName\":\"derp2.example.com\"}]}},"
                + "\"omitDefaultRegions\":true}");
        assertThat(DerpMap.parse(map.toJson())).isEqualTo(map);
        assertThat(DerpMap.parse(map.toPrettyJson())).isEqualTo(map);
        assertThat(DerpMap.parse(map.toJsonBytes())).isEqualTo(map);
    }

    @Test
    void shouldRoundTripThePlainHttpExtension() throws DerpMapException {
        final DerpMap map = DerpRelayUrl.parse("http://127.0.0.1:3340").toDerpMap();
        assertThat(map.toJson()).contains("\"DerpholePlainHTTP\":true");
        assertThat(DerpMap.parse(map.toJson())).isEqualTo(map);
    }

    @Test
    void shouldKeepRegionsSortedAndPickTheLowestDerpRegion() throws DerpMapException {
        final DerpMap map = DerpMap.parse("""
            {"Regions":{
              "10":{"RegionID":10,"Nodes":[{"HostName":"a"}]},
              "2":{"RegionID":2,"Nodes":[{"HostName":"s","STUNOnly":true}]},
              "3":{"RegionID":3,"Nodes":[{"HostName":"s","STUNOnly":true},{"Name":"3b","HostName":"b"}]}}}""");
        assertThat(map.regions().keySet()).containsExactly(2, 3, 10);
        assertThat(map.lowestDerpRegion().regionId()).isEqualTo(3);
        assertThat(map.lowestDerpRegion().firstDerpNode().orElseThrow().name()).isEqualTo("3b");
        assertThat(map.region(2).orElseThrow().hasDerpNode()).isFalse();
        assertThat(map.region(4)).isEmpty();
    }

    @Test
    void shouldRejectInvalidModelsBuiltInCode() {
        final DerpNode node = DerpNode.of("1a", 1, "h");
        assertThatThrownBy(() -> DerpRegion.of(2, "", "", List.of(node)))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("is in region 2");
        assertThatThrownBy(() -> DerpMap.of(List.of(DerpRegion.of(1, "", "", List.of(node)),
            DerpRegion.of(1, "", "", List.of(node))))).hasMessageContaining("duplicate region id 1");
        assertThatThrownBy(() -> new DerpRegion(1, "", "", Double.NaN, 0, false, false, List.of(node)))
            .isInstanceOf(IllegalArgumentException.class);
        assertThat(new DerpRegion(1, null, null, -0.0, -0.0, false, false, List.of(node)))
            .isEqualTo(DerpRegion.of(1, "", "", List.of(node)));
    }
}
