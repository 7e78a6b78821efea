package dev.curfew.core.compliance;

import static dev.curfew.core.compliance.ComplianceBoundaryTest.statusOf;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.curfew.core.Policy;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ComplianceCheckTest {

  private static Policy.Builder policy() {
    return Policy.builder("standard")
        .idleTimeout(Duration.ofMinutes(15))
        .absoluteTimeout(Duration.ofHours(12))
        .warnBefore(Duration.ofMinutes(2))
        .maxExtensions(10);
  }

  @Test
  void hipaaIdleTimeoutSetAlwaysPassesAndAsksForTheValueToBeDocumented() {
    Policy p = policy().idleTimeout(Duration.ofHours(8)).build();
    PresetResult hipaa = Compliance.check(p, List.of("hipaa")).presets().get(0);
    assertThat(hipaa.status()).isEqualTo(Status.PASS);
    assertThat(hipaa.rules()).extracting(RuleResult::rule, RuleResult::status, RuleResult::value)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("idle_timeout set", Status.PASS, "8h"),
            org.assertj.core.groups.Tuple.tuple("idle_timeout", Status.NOTE, "8h"));
    assertThat(hipaa.rules().get(1).text()).contains("document");
  }

  @Test
  void ac10_failsWithoutAConcurrencyLimit_andPassesWithOne_citingTheControl() {
    PresetResult none = Compliance.check(policy().build(), List.of("nist-800-53-ac-10")).presets().get(0);
    assertThat(none.status()).isEqualTo(Status.FAIL);
    assertThat(none.rules().get(0).rule()).isEqualTo("max_sessions_per_subject set");
    assertThat(none.rules().get(0).value()).isNull();
    assertThat(none.rules().get(0).citation()).isEqualTo("NIST SP 800-53 Rev. 5 AC-10 Concurrent Session Control");
    Policy limited = policy().concurrency(dev.curfew.core.ConcurrencyLimit.of(3, "end_oldest", null)).build();
    PresetResult ok = Compliance.check(limited, List.of("nist-800-53-ac-10")).presets().get(0);
    assertThat(ok.status()).isEqualTo(Status.PASS);
    assertThat(ok.rules()).extracting(RuleResult::status, RuleResult::value)
        .containsExactly(org.assertj.core.groups.Tuple.tuple(Status.PASS, "3"),
            org.assertj.core.groups.Tuple.tuple(Status.NOTE, "3"));
  }

  @Test
  void check_withoutIdsUsesComplyWith() {
    Policy p = policy().complyWith(List.of("psd2-rts", "pci-dss-4.0")).build();
    ComplianceReport report = Compliance.check(p, List.of());
    assertThat(report.presets()).extracting(PresetResult::id).containsExactly("psd2-rts", "pci-dss-4.0");
    assertThat(Compliance.check(p).presets()).isEqualTo(report.presets());
  }

  @Test
  void check_explicitIdsWinOverComplyWith_andDuplicatesCountOnce() {
    Policy p = policy().complyWith(List.of("psd2-rts")).build();
    ComplianceReport report = Compliance.check(p, List.of("hipaa", "hipaa"));
    assertThat(report.presets()).extracting(PresetResult::id).containsExactly("hipaa");
  }

  @Test
  void check_noPresetAtAllIsAnError_notAVacuousPass() {
    assertThatThrownBy(() -> Compliance.check(policy().build(), List.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("no preset")
        .hasMessageContaining("pci-dss-4.0");
  }

  @Test
  void check_unknownIdIsRejectedBeforeAnythingIsChecked() {
    assertThatThrownBy(() -> Compliance.check(policy().build(), List.of("pci-dss-4.0", "sox")))
        .isInstanceOf(UnknownPresetException.class)
        .hasMessageContaining("\"sox\"")
        .hasMessageContaining("known presets: pci-dss-4.0, nist-800-63b-aal1");
  }

  @Test
  void passed_mustFailureFails_shouldFailureFailsOnlyWhenStrict() {
    Policy warnsOnly = policy().idleTimeout(Duration.ofMinutes(16)).build();
    ComplianceReport aal3 = Compliance.check(warnsOnly, List.of("nist-800-63b-aal3"));
    assertThat(aal3.status()).isEqualTo(Status.WARN);
    assertThat(aal3.passed()).isTrue();
    assertThat(aal3.passed(false)).isTrue();
    assertThat(aal3.passed(true)).isFalse();

    ComplianceReport pci = Compliance.check(warnsOnly, List.of("pci-dss-4.0", "nist-800-63b-aal3"));
    assertThat(pci.status()).isEqualTo(Status.FAIL);
    assertThat(pci.passed()).isFalse();
    assertThat(pci.failures()).singleElement().satisfies(f -> {
      assertThat(f.preset()).isEqualTo("pci-dss-4.0");
      assertThat(f.value()).isEqualTo("16m");
      assertThat(f.limit()).isEqualTo("15m");
      assertThat(f.citation()).isEqualTo("PCI DSS v4.0.1 req. 8.2.8");
    });
  }

  @Test
  void value_isWrittenInTheLimitsUnitWhenExact() {
    Policy p = policy().absoluteTimeout(Duration.ofDays(1)).build();
    List<RuleResult> rules = Compliance.check(p, List.of("nist-800-63b-aal2", "nist-800-63b-aal1")).rules();
    assertThat(rules).filteredOn(r -> r.rule().equals("absolute_timeout <= 24h"))
        .extracting(RuleResult::value).containsExactly("24h");
    assertThat(rules).filteredOn(r -> r.rule().equals("absolute_timeout <= 30d"))
        .extracting(RuleResult::value).containsExactly("1d");
    Policy odd = policy().idleTimeout(Duration.ofMinutes(15).plusMillis(1)).build();
    assertThat(Compliance.check(odd, List.of("pci-dss-4.0")).failures())
        .extracting(RuleResult::value).containsExactly("900001ms");
  }

  @Test
  void notesNeverChangeTheStatus() {
    ComplianceReport report = Compliance.check(policy().build(), List.of("pci-dss-4.0"));
    assertThat(report.rules()).extracting(RuleResult::status).contains(Status.NOTE);
    assertThat(report.status()).isEqualTo(Status.PASS);
    assertThat(report.passed(true)).isTrue();
  }

  @Test
  @SuppressWarnings("unchecked")
  void toMap_hasTheJsonShapeOfTheContract() {
    Policy p = policy().version(3).idleTimeout(Duration.ofMinutes(20)).build();
    Map<String, Object> m = Compliance.check(p, List.of("pci-dss-4.0")).toMap();
    assertThat(m).containsOnlyKeys("policy", "version", "presets", "status");
    assertThat(m.keySet()).containsExactly("policy", "version", "presets", "status");
    assertThat(m).containsEntry("policy", "standard").containsEntry("version", 3).containsEntry("status", "fail");
    Map<String, Object> preset = ((List<Map<String, Object>>) m.get("presets")).get(0);
    assertThat(preset.keySet()).containsExactly("id", "title", "status", "rules");
    assertThat(preset).containsEntry("id", "pci-dss-4.0").containsEntry("status", "fail");
    List<Map<String, Object>> rules = (List<Map<String, Object>>) preset.get("rules");
    assertThat(rules.get(0).keySet())
        .containsExactly("rule", "strength", "status", "field", "value", "limit", "value_ms", "limit_ms", "citation",
            "text");
    assertThat(rules.get(0)).containsEntry("rule", "idle_timeout <= 15m").containsEntry("strength", "MUST")
        .containsEntry("status", "fail").containsEntry("field", "idle_timeout").containsEntry("value", "20m")
        .containsEntry("limit", "15m").containsEntry("value_ms", 1_200_000L).containsEntry("limit_ms", 900_000L)
        .containsEntry("citation", "PCI DSS v4.0.1 req. 8.2.8");
    assertThat(rules.get(1)).containsEntry("strength", "NOTE").containsEntry("status", "note")
        .containsEntry("field", null).containsEntry("value", null).containsEntry("value_ms", null)
        .containsEntry("limit_ms", null);
  }

  @Test
  void aCountRule_hasNoMilliseconds() {
    ComplianceReport report = Compliance.check(policy().build(), List.of("wcag-2.2"));
    Map<String, Object> ext = report.rules().stream().filter(r -> "max_extensions".equals(r.field())).findFirst()
        .orElseThrow().toMap();
    assertThat(ext.get("value")).isInstanceOf(String.class);
    assertThat(ext).containsEntry("value_ms", null).containsEntry("limit_ms", null);
  }

  @Test
  void table_hasAlignedColumnsAndOneLinePerRule() {
    Policy p = policy().idleTimeout(Duration.ofMinutes(20)).build();
    ComplianceReport report = Compliance.check(p, List.of("pci-dss-4.0", "psd2-rts", "wcag-2.2"));
    String table = ComplianceText.table(report);
    List<String> lines = table.lines().toList();
    assertThat(lines.get(0)).isEqualTo("Policy standard v1: fail (2 fail, 1 warn, 2 pass, 2 note)");
    assertThat(lines.get(1)).isEmpty();
    assertThat(lines.get(2)).startsWith("PRESET").contains("RULE", "STATUS", "VALUE", "LIMIT", "CITATION");
    assertThat(lines.get(3)).matches("[- ]+");
    assertThat(lines).hasSize(4 + report.rules().size());
    int statusColumn = lines.get(2).indexOf("STATUS");
    int citationColumn = lines.get(2).indexOf("CITATION");
    for (String line : lines.subList(4, lines.size())) {
      assertThat(line.substring(statusColumn)).matches("(pass|fail|warn|note) .*");
      assertThat(line.charAt(citationColumn - 1)).isEqualTo(' ');
      assertThat(line).doesNotEndWith(" ");
    }
    assertThat(table).contains("pci-dss-4.0").contains("PCI DSS v4.0.1 req. 8.2.8")
        .contains("Commission Delegated Regulation (EU) 2018/389 Art. 4(3)(d)");
  }

  @Test
  void markdown_oneTablePerPreset() {
    Policy p = policy().idleTimeout(Duration.ofMinutes(20)).build();
    String md = ComplianceText.markdown(Compliance.check(p, List.of("pci-dss-4.0", "hipaa")));
    assertThat(md).startsWith("## Session timeout compliance: policy `standard` version 1\n")
        .contains("Overall status: **fail**")
        .contains("| `pci-dss-4.0` | PCI DSS 4.0 | fail |")
        .contains("### PCI DSS 4.0 (`pci-dss-4.0`): fail")
        .contains("| `idle_timeout <= 15m` | MUST | fail | 20m | 15m | PCI DSS v4.0.1 req. 8.2.8 |")
        .contains("| `idle_timeout set` | MUST | pass | 20m | - | 45 CFR 164.312(a)(2)(iii) |");
    for (String line : md.lines().toList()) {
      if (line.startsWith("| `")) {
        assertThat(line.split("(?<!\\\\)\\|", -1).length).as(line).isIn(5, 9);
      }
    }
  }
}
