package dev.curfew.server.cli;

import java.io.FilterWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.charset.Charset;
import picocli.CommandLine;

/**
 * The standard output of every command. A {@link PrintWriter} swallows the {@link IOException} of a
 * failed write and keeps only a flag ({@link PrintWriter#checkError()}), so a command that wrote
 * into a full disk or a closed pipe would report success over output that is not there. This writer
 * also keeps the first failure, and {@link #exitStatus} is the one place that looks at it: after
 * any command, an output that could not be written is one line on stderr and exit status 1.
 */
final class CommandOutput extends PrintWriter {
  /** Exit status of a command whose output could not be written. */
  static final int EXIT_NOT_WRITTEN = 1;

  private final FailureKeeper keeper;

  private CommandOutput(FailureKeeper keeper) {
    super(keeper, true);
    this.keeper = keeper;
  }

  /** Output to {@code stream}, in the encoding picocli uses for standard output. */
  static CommandOutput to(OutputStream stream) {
    String encoding = System.getProperty("sun.stdout.encoding");
    Charset charset = encoding != null ? Charset.forName(encoding) : Charset.defaultCharset();
    return new CommandOutput(new FailureKeeper(new OutputStreamWriter(stream, charset)));
  }

  /**
   * The exit status of a command that ended with {@code exit}: that, or {@link #EXIT_NOT_WRITTEN}
   * with one line on stderr when its output (flushed here) could not all be written.
   */
  static int exitStatus(CommandLine cl, int exit) {
    PrintWriter out = cl.getOut();
    if (!out.checkError()) return exit; // checkError flushes first
    IOException why = out instanceof CommandOutput c ? c.keeper.failure : null;
    cl.getErr().println("curfew: cannot write the output: " + (why == null ? "a write failed" : IoFailure.describe(why)));
    cl.getErr().flush();
    return EXIT_NOT_WRITTEN;
  }

  /** Passes everything on and keeps the first failure, which the PrintWriter above would lose. */
  private static final class FailureKeeper extends FilterWriter {
    private volatile IOException failure;

    FailureKeeper(Writer out) {
      super(out);
    }

    private IOException keep(IOException e) {
      if (failure == null) failure = e;
      return e;
    }

    @Override
    public void write(int c) throws IOException {
      try {
        out.write(c);
      } catch (IOException e) {
        throw keep(e);
      }
    }

    @Override
    public void write(char[] cbuf, int off, int len) throws IOException {
      try {
        out.write(cbuf, off, len);
      } catch (IOException e) {
        throw keep(e);
      }
    }

    @Override
    public void write(String str, int off, int len) throws IOException {
      try {
        out.write(str, off, len);
      } catch (IOException e) {
        throw keep(e);
      }
    }

    @Override
    public void flush() throws IOException {
      try {
        out.flush();
      } catch (IOException e) {
        throw keep(e);
      }
    }
  }
}
