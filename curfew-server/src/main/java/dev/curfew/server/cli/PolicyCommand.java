package dev.curfew.server.cli;

import dev.curfew.core.Policy;
import dev.curfew.core.explain.Explainer;
import dev.curfew.core.explain.Explanation;
import dev.curfew.core.explain.TimelineSvg;
import dev.curfew.server.config.PolicyFile;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code curfew policy}: the design step. */
@Command(name = "policy", mixinStandardHelpOptions = true,
    description = "Design policies: check them against compliance presets, explain a session's timeline.",
    subcommands = {PolicyCheck.class, PolicyCommand.Explain.class})
final class PolicyCommand {

  /** {@code curfew policy explain FILE [--activity TRACE]}. */
  @Command(name = "explain", mixinStandardHelpOptions = true,
      description = {"Print the timeline of one session under a policy for an activity trace.",
          "It says when each warning fires, which extensions are possible, and when and why the session ends;",
          "the enforcing engine runs on a virtual clock."})
  static final class Explain implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(paramLabel = "FILE", description = "A configuration file, or a policy file (one policy's fields at top level).")
    Path file;

    @Option(names = "--activity", paramLabel = "TRACE",
        description = "Offsets of user activity from the opening, e.g. 0s,5m,9m; a step may say what the user does: 14m:extend, 15m:ack, 20m:logout.")
    String activity;

    @Option(names = "--policy", paramLabel = "NAME", description = "Which policy of the file (default: the file's default policy).")
    String policyName;

    @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "text",
        description = "text (default) or svg (a timeline picture).")
    String format;

    @Override
    public Integer call() {
      if (!format.equals("text") && !format.equals("svg")) {
        throw new IllegalArgumentException("--format must be text or svg, not \"" + format + "\"");
      }
      PolicyFile.Loaded loaded = PolicyFile.load(file);
      String name = policyName == null ? loaded.defaultName() : policyName;
      if (name == null) {
        throw new IllegalArgumentException(file + " has several policies and no default_policy: name one with --policy (has "
            + loaded.policies().keySet() + ")");
      }
      Policy p = loaded.policies().get(name);
      if (p == null) {
        throw new IllegalArgumentException("no policy \"" + name + "\" in " + file + " (has " + loaded.policies().keySet() + ")");
      }
      Explanation e = Explainer.explain(p, Explanation.parseTrace(activity));
      PrintWriter out = spec.commandLine().getOut();
      out.print(format.equals("svg") ? TimelineSvg.render(e) : Explainer.text(e));
      out.flush();
      return 0;
    }
  }
}
