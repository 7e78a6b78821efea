package dev.curfew.server.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.curfew.core.Policy;
import dev.curfew.core.compliance.Compliance;
import dev.curfew.core.compliance.ComplianceReport;
import dev.curfew.core.compliance.ComplianceText;
import dev.curfew.core.compliance.Status;
import dev.curfew.server.config.PolicyFile;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code curfew policy check FILE [--against ID,...]}: the compliance report of every policy in FILE. */
@Command(name = "check", mixinStandardHelpOptions = true,
    description = {"Check every policy in FILE against compliance presets, rule by rule with citations.",
        "The presets are the ones given with --against, else the ones each policy declares in comply_with.",
        "Exit 0: all pass; 1: a MUST rule fails (or, with --strict, a SHOULD rule warns); 2: bad input."})
final class PolicyCheck implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Parameters(paramLabel = "FILE", description = "A configuration file, or a policy file (one policy's fields at top level).")
  Path file;

  @Option(names = "--against", split = ",", paramLabel = "ID",
      description = "Preset ids, comma-separated: pci-dss-4.0, nist-800-63b-aal1..3, nist-800-63b-rev3-aal2..3, owasp-asvs-4-l1..3, psd2-rts, hipaa, wcag-2.2, nist-800-53-ac-10.")
  List<String> against = new ArrayList<>();

  @Option(names = "--format", defaultValue = "table", paramLabel = "FORMAT",
      description = "table (default, for people), markdown (for a system security plan) or json.")
  String format;

  @Option(names = "--strict", description = "SHOULD rules that are not met fail the check too.")
  boolean strict;

  @Override
  public Integer call() throws Exception {
    if (!List.of("table", "markdown", "json").contains(format)) {
      throw new IllegalArgumentException("--format must be table, markdown or json, not \"" + format + "\"");
    }
    PolicyFile.Loaded loaded = PolicyFile.load(file);
    List<ComplianceReport> reports = new ArrayList<>();
    for (Policy p : loaded.policies().values()) {
      if (against.isEmpty() && p.complyWith().isEmpty()) {
        throw new IllegalArgumentException("policy \"" + p.name() + "\" declares no comply_with: name presets with --against");
      }
      reports.add(Compliance.check(p, against));
    }
    boolean pass = reports.stream().allMatch(r -> r.passed(strict));
    PrintWriter out = spec.commandLine().getOut();
    switch (format) {
      case "json": {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", overall(reports).label());
        body.put("passed", pass);
        List<Object> list = new ArrayList<>();
        for (ComplianceReport r : reports) list.add(r.toMap());
        body.put("reports", list);
        out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(body));
        break;
      }
      case "markdown":
        for (ComplianceReport r : reports) out.println(ComplianceText.markdown(r));
        break;
      default:
        for (ComplianceReport r : reports) out.println(ComplianceText.table(r));
        out.println(pass ? "Result: pass" : "Result: FAIL" + (strict ? " (strict: SHOULD rules count)" : ""));
    }
    out.flush();
    return pass ? 0 : 1;
  }

  private static Status overall(List<ComplianceReport> reports) {
    Status worst = Status.PASS;
    for (ComplianceReport r : reports) {
      if (r.status() == Status.FAIL) return Status.FAIL;
      if (r.status() == Status.WARN) worst = Status.WARN;
    }
    return worst;
  }
}
