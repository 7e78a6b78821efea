package dev.curfew.server.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import picocli.CommandLine;

/** A command run in the test's JVM as {@code curfew} would run it: its exit status and what it wrote. */
record CliRun(int exit, String out, String err) {
  static CliRun of(String... args) {
    CommandLine cl = Main.commandLine();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    int exit = cl.execute(args);
    cl.getOut().flush();
    cl.getErr().flush();
    return new CliRun(exit, out.toString(), err.toString());
  }
}
