package dev.curfew.server.cli;

import dev.curfew.server.config.ConfigException;
import dev.curfew.server.security.Tls;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.OutputStream;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code curfew}: the command line of spec/cli-and-config.md. */
@Command(
    name = "curfew",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = "Designs, enforces and proves session timeouts.",
    subcommands = {ServeCommand.class, PolicyCommand.class, AuditCommand.class, LogoutKeysCommand.class,
        dev.curfew.server.witness.WitnessCommand.class, CommandLine.HelpCommand.class})
public final class Main {
  /** Exit status for bad input (usage, configuration, unreadable files). */
  public static final int EXIT_BAD_INPUT = 2;

  public static void main(String[] args) {
    // First, before any TLS class can load: the JDK reads this once per process (see Tls).
    Tls.refuseClientInitiatedRenegotiation();
    OneLineLogs.install();
    System.exit(run(args));
  }

  public static int run(String... args) {
    CommandLine cl = commandLine();
    return cl.execute(args);
  }

  static CommandLine commandLine() {
    return commandLine(new FileOutputStream(FileDescriptor.out));
  }

  /** The command line with {@code stdout} as its standard output, checked after every command ({@link CommandOutput}). */
  static CommandLine commandLine(OutputStream stdout) {
    CommandLine cl = new CommandLine(new Main());
    // An empty path (an unset shell variable, say) names nothing: never the directory the command runs in.
    cl.registerConverter(java.nio.file.Path.class, s -> {
      if (s.isBlank()) throw new CommandLine.TypeConversionException("an empty path names no file or directory");
      return java.nio.file.Path.of(s);
    });
    cl.setOut(CommandOutput.to(stdout));
    cl.setExecutionStrategy(parseResult -> CommandOutput.exitStatus(cl, new CommandLine.RunLast().execute(parseResult)));
    cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
      commandLine.getOut().flush(); // what the command wrote before it failed
      if (ex instanceof ConfigException || ex instanceof IllegalArgumentException) {
        commandLine.getErr().println("curfew: " + ex.getMessage());
        return EXIT_BAD_INPUT;
      }
      if (ex instanceof StartRefused) {
        commandLine.getErr().println("curfew: " + ex.getMessage());
        return StartRefused.EXIT_REFUSED;
      }
      if (ex instanceof java.io.IOException || ex instanceof java.io.UncheckedIOException) {
        // A file or a port the command could not use: one line, not a stack trace.
        java.io.IOException io = ex instanceof java.io.UncheckedIOException u ? u.getCause() : (java.io.IOException) ex;
        commandLine.getErr().println("curfew: " + describe(io));
        return io instanceof java.nio.file.FileSystemException ? EXIT_BAD_INPUT : 1;
      }
      throw ex;
    });
    cl.setParameterExceptionHandler((ex, args) -> {
      CommandLine c = ex.getCommandLine();
      c.getErr().println("curfew: " + ex.getMessage());
      c.getErr().println("Try '" + c.getCommandSpec().qualifiedName() + " --help'.");
      return EXIT_BAD_INPUT;
    });
    return cl;
  }

  /** What went wrong with a file or a socket, in a sentence that names the file ({@link IoFailure}). */
  static String describe(java.io.IOException e) {
    if (!(e instanceof java.nio.file.FileSystemException f) || f.getFile() == null) return IoFailure.describe(e);
    boolean aFile = e instanceof java.nio.file.FileAlreadyExistsException
        && java.nio.file.Files.isRegularFile(java.nio.file.Path.of(f.getFile()));
    return f.getFile() + ": " + IoFailure.describe(e) + (aFile ? " (a file, where a directory or a new file belongs)" : "");
  }

  /** The version from the jar's manifest (or "dev" when run from classes). */
  public static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"curfew " + version()};
    }
  }

  public static String version() {
    String v = Main.class.getPackage().getImplementationVersion();
    return v == null ? "0.1.0-dev" : v;
  }
}
