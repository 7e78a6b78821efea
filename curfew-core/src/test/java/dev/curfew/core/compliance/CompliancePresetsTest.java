package dev.curfew.core.compliance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The preset file against the table of spec/policy.md, and the parser's errors. */
class CompliancePresetsTest {
  @Test
  void presetIdsAreFoundWhateverTheirCase() {
    for (String id : Presets.ids()) {
      String upper = id.toUpperCase(java.util.Locale.ROOT);
      assertThat(Presets.require(upper).id()).isEqualTo(id);
      assertThat(Presets.get(upper)).map(Preset::id).contains(id);
    }
    assertThatThrownBy(() -> Presets.require("PCI-DSS-9")).isInstanceOf(UnknownPresetException.class);
  }


  /**
   * The spec's table, copied by hand: "strength rule [unless exception] @ citation" per numeric
   * rule, and "UNLESS ..." for an exception. Notes are checked separately (they carry no number).
   */
  private static final Map<String, List<String>> SPEC = new LinkedHashMap<>();
  private static final String WCAG = "WCAG 2.2 SC 2.2.1 Timing Adjustable (exceptions: real-time, essential, 20 hour)";

  static {
    SPEC.put("pci-dss-4.0", List.of("MUST idle_timeout <= 15m @ PCI DSS v4.0.1 req. 8.2.8"));
    SPEC.put("nist-800-63b-aal1", List.of("SHOULD absolute_timeout <= 30d @ SP 800-63B-4 §2.1.3"));
    SPEC.put("nist-800-63b-aal2", List.of(
        "SHOULD absolute_timeout <= 24h @ SP 800-63B-4 §2.2.3",
        "SHOULD idle_timeout <= 1h @ SP 800-63B-4 §2.2.3"));
    SPEC.put("nist-800-63b-aal3", List.of(
        "MUST absolute_timeout <= 12h @ SP 800-63B-4 §2.3.3",
        "SHOULD idle_timeout <= 15m @ SP 800-63B-4 §2.3.3"));
    SPEC.put("nist-800-63b-rev3-aal2", List.of(
        "MUST absolute_timeout <= 12h @ SP 800-63B (2017) §4.2.3",
        "MUST idle_timeout <= 30m @ SP 800-63B (2017) §4.2.3"));
    SPEC.put("nist-800-63b-rev3-aal3", List.of(
        "MUST absolute_timeout <= 12h @ SP 800-63B (2017) §4.3.3",
        "MUST idle_timeout <= 15m @ SP 800-63B (2017) §4.3.3"));
    SPEC.put("owasp-asvs-4-l1", List.of("MUST absolute_timeout <= 30d @ ASVS 4.0.3 V3.3.2"));
    SPEC.put("owasp-asvs-4-l2", List.of(
        "MUST absolute_timeout <= 12h @ ASVS 4.0.3 V3.3.2",
        "MUST idle_timeout <= 30m @ ASVS 4.0.3 V3.3.2"));
    SPEC.put("owasp-asvs-4-l3", List.of(
        "MUST absolute_timeout <= 12h @ ASVS 4.0.3 V3.3.2",
        "MUST idle_timeout <= 15m @ ASVS 4.0.3 V3.3.2"));
    SPEC.put("psd2-rts", List.of(
        "MUST idle_timeout <= 5m @ Commission Delegated Regulation (EU) 2018/389 Art. 4(3)(d)"));
    SPEC.put("hipaa", List.of("MUST idle_timeout set @ 45 CFR 164.312(a)(2)(iii)"));
    SPEC.put("wcag-2.2", List.of(
        "MUST warn_before >= 20s unless idle_timeout > 20h @ " + WCAG,
        "MUST max_extensions >= 10 unless idle_timeout > 20h @ " + WCAG,
        "SHOULD absolute_timeout > 20h @ " + WCAG,
        "UNLESS idle_timeout > 20h @ " + WCAG));
    // Not in the spec's table: added with the concurrency limit (docs/contract-changes.md).
    SPEC.put("nist-800-53-ac-10", List.of(
        "MUST max_sessions_per_subject set @ NIST SP 800-53 Rev. 5 AC-10 Concurrent Session Control"));
  }

  @Test
  void resourceHoldsExactlyThePresetsOfTheSpec_inSpecOrder() {
    assertThat(Presets.ids()).containsExactlyElementsOf(SPEC.keySet());
  }

  @Test
  void everyPresetHasTheSpecsNumbersAndCitations() {
    for (Map.Entry<String, List<String>> e : SPEC.entrySet()) {
      Preset preset = Presets.require(e.getKey());
      List<String> actual = new ArrayList<>();
      for (Rule r : preset.rules()) {
        if (r.strength() != Strength.NOTE) {
          actual.add(r.strength() + " " + r.name()
              + (r.unless() == null ? "" : " unless " + r.unless().name()) + " @ " + r.citation());
        }
      }
      for (Rule r : preset.exceptions()) {
        actual.add("UNLESS " + r.name() + " @ " + r.citation());
      }
      assertThat(actual).as(e.getKey()).containsExactlyElementsOf(e.getValue());
    }
  }

  @Test
  void everyPresetHasATitleAndASource() {
    for (Preset p : Presets.all()) {
      assertThat(p.title()).as(p.id()).isNotBlank().isNotEqualTo("-");
      assertThat(p.source()).as(p.id()).isNotBlank().isNotEqualTo("-");
    }
  }

  @Test
  void notesCarryTheRequirementsNoNumberCaptures() {
    assertThat(notes("pci-dss-4.0")).anyMatch(n -> n.contains("PCI DSS v4.0.1 req. 10.5.1")
        && n.contains("12 months") && n.contains("3"));
    assertThat(notes("nist-800-63b-aal2")).anyMatch(n -> n.contains("SP 800-63B-4 §5.2")
        && n.contains("Session activity SHALL reset the inactivity timeout"));
    assertThat(notes("nist-800-63b-aal3")).anyMatch(n -> n.contains("SP 800-63B-4 §5.2"));
    assertThat(notes("owasp-asvs-4-l2")).anyMatch(n -> n.contains("ASVS 5.0 V7.1.1")
        && n.contains("justification for deviations from NIST SP 800-63B"));
    assertThat(notes("owasp-asvs-4-l3")).anyMatch(n -> n.contains("ASVS 5.0 V7.1.1"));
    assertThat(notes("hipaa")).anyMatch(n -> n.contains("45 CFR 164.312(a)(2)(iii)")
        && n.contains("document"));
  }

  private static List<String> notes(String presetId) {
    List<String> out = new ArrayList<>();
    for (Rule r : Presets.require(presetId).rules()) {
      if (r.strength() == Strength.NOTE) {
        out.add(r.citation() + " | " + r.limit() + " | " + r.text());
      }
    }
    return out;
  }

  @Test
  void get_knownAndUnknown() {
    assertThat(Presets.get("psd2-rts")).map(Preset::title).isPresent();
    assertThat(Presets.get("pci-dss-3.2")).isEmpty();
  }

  @Test
  void require_unknownIdNamesItAndListsTheKnownOnes() {
    assertThatThrownBy(() -> Presets.require("pci-dss-3.2"))
        .isInstanceOf(UnknownPresetException.class)
        .hasMessageContaining("\"pci-dss-3.2\"")
        .hasMessageContaining("pci-dss-4.0")
        .hasMessageContaining("wcag-2.2")
        .satisfies(e -> assertThat(((UnknownPresetException) e).knownIds())
            .containsExactlyElementsOf(Presets.ids()));
  }

  @Test
  void parse_aValidFile() {
    List<Preset> presets = PresetFile.parse(String.join("\n",
        "# comment",
        "",
        "x | TITLE | X | Doc X",
        "x | MUST | idle_timeout | <= | 10m | X 1 | idle",
        "x | NOTE | - | - | - | X 3 | remember",
        "x | SHOULD | warn_before | >= | 1m | X 4 | warned",
        "x | UNLESS | absolute_timeout | > | 1d | X 2 | long",
        "x | MUST | absolute_timeout | > | 2h | X 5 | not short"), "t.txt");
    assertThat(presets).singleElement().satisfies(p -> {
      assertThat(p.rules()).extracting(Rule::name)
          .containsExactly("idle_timeout <= 10m", "note", "warn_before >= 1m", "absolute_timeout > 2h");
      assertThat(p.exceptions()).extracting(Rule::name).containsExactly("absolute_timeout > 1d");
      // an UNLESS line covers the MUST and SHOULD lines above it, not notes, not the lines after it
      assertThat(p.rules()).extracting(r -> r.unless() == null ? "-" : r.unless().name())
          .containsExactly("absolute_timeout > 1d", "-", "absolute_timeout > 1d", "-");
    });
  }

  @Test
  void parse_errorsNameTheLine() {
    assertParseError("x | TITLE | X | D\nx | MUST | idle_timeout | <= | 15 minutes | C | t",
        "t.txt:2:", "not a duration");
    assertParseError("x | TITLE | X | D\nx | MUST | idle_timeout | <= | 15m | C", "t.txt:2:", "6 columns");
    assertParseError("x | MUST | idle_timeout | <= | 15m | C | t", "t.txt:1:", "before its TITLE");
    assertParseError("x | TITLE | X | D\nx | MAY | idle_timeout | <= | 15m | C | t", "t.txt:2:", "MAY");
    assertParseError("x | TITLE | X | D\nx | MUST | idle | <= | 15m | C | t", "t.txt:2:", "unknown field");
    assertParseError("x | TITLE | X | D\nx | MUST | idle_timeout | < | 15m | C | t", "t.txt:2:", "unknown op");
    assertParseError("x | TITLE | X | D\nx | MUST | idle_timeout | - | - | C | t", "t.txt:2:", "needs an op");
    assertParseError("x | TITLE | X | D\nx | MUST | max_extensions | >= | ten | C | t", "t.txt:2:", "ten");
    assertParseError("x | TITLE | X | D\nx | TITLE | X | D", "t.txt:2:", "second TITLE");
    assertParseError("x | TITLE | X | D", "t.txt", "no rules");
    assertParseError("# nothing", "t.txt", "no presets");
    assertParseError("x | TITLE | X | D\nx | UNLESS | idle_timeout | > | 1h | C | t", "t.txt:2:", "no MUST or SHOULD");
    assertParseError("x | TITLE | X | D\nx | MUST | idle_timeout | <= | 1h | C | t\nx | UNLESS | idle_timeout | set | - | C | t",
        "t.txt:3:", "comparison");
  }

  private static void assertParseError(String text, String where, String what) {
    assertThatThrownBy(() -> PresetFile.parse(text, "t.txt"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(where)
        .hasMessageContaining(what);
  }
}
