package dev.curfew.server.witness;

import dev.curfew.core.SystemClock;
import dev.curfew.core.audit.NoteVerifier;
import dev.curfew.core.audit.Witness;
import dev.curfew.core.audit.WitnessSigner;
import dev.curfew.server.cli.IoFailure;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code curfew witness}: a small independent C2SP tlog-witness (spec/cli-and-config.md). */
@Command(name = "witness", mixinStandardHelpOptions = true,
    description = {"Run an independent witness that cosigns a log's checkpoints (C2SP tlog-witness, tlog-cosignature).",
        "Run it on another machine, under another operator, than the Curfew nodes it watches."},
    subcommands = {WitnessCommand.Serve.class, WitnessCommand.PublicKey.class})
public final class WitnessCommand {

  /** {@code curfew witness serve}. */
  @Command(name = "serve", mixinStandardHelpOptions = true,
      description = {"Serve POST /add-checkpoint (C2SP tlog-witness).",
          "It cosigns a checkpoint only when a trusted log key signed it and, by a valid RFC 6962 consistency proof,",
          "it extends the latest checkpoint this witness cosigned for that log; it then keeps that one checkpoint",
          "per log in DIR/state.json. Its key is DIR/witness.key, created (0600) on first start.",
          "Answers: 200 cosignature line; 400 malformed; 403 no trusted signature; 404 unknown log;",
          "409 old size differs from the witness's (body: its size, text/x.tlog.size); 422 bad proof.",
          "Stops on SIGTERM/SIGINT."})
  static final class Serve implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--data", paramLabel = "DIR", required = true, description = "The witness's directory: key and state.")
    Path data;

    @Option(names = "--port", paramLabel = "N", defaultValue = "7380", description = "Port (default 7380; 0: any free port).")
    int port;

    @Option(names = "--host", paramLabel = "HOST", defaultValue = "0.0.0.0", description = "Address to listen on (default 0.0.0.0).")
    String host;

    @Option(names = "--log-key", paramLabel = "FILE", required = true,
        description = {"A log's verifier key to trust (what 'curfew audit public-key' prints; one key per line). Repeatable.",
            "The key's name is the log's origin."})
    List<Path> logKeys = new ArrayList<>();

    @Option(names = "--name", paramLabel = "NAME", defaultValue = "curfew-witness",
        description = "The witness key's name, used when the key is created (default curfew-witness).")
    String name;

    @Override
    public Integer call() throws Exception {
      Map<String, List<NoteVerifier>> trusted = readLogKeys(logKeys);
      WitnessSigner signer = WitnessFiles.loadOrCreateKey(data, name);
      Witness witness = new Witness(signer, trusted, WitnessFiles.open(data), new SystemClock());
      Vertx vertx = Vertx.vertx();
      WitnessServer server = new WitnessServer(vertx, witness);
      int actual = server.listen(host, port).await(30, TimeUnit.SECONDS);
      PrintWriter out = spec.commandLine().getOut();
      out.println("curfew witness: key " + signer.key().verifierKey());
      out.println("curfew witness: follows " + String.join(", ", trusted.keySet()));
      out.println("curfew witness: listening on http://localhost:" + actual + " (POST /add-checkpoint)");
      out.flush();
      CountDownLatch stopped = new CountDownLatch(1);
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        try {
          server.close().await(10, TimeUnit.SECONDS);
          vertx.close().await(10, TimeUnit.SECONDS);
        } catch (Exception ignored) {
          // stopping anyway
        }
        stopped.countDown();
      }, "curfew-witness-shutdown"));
      stopped.await();
      return 0;
    }
  }

  /** {@code curfew witness public-key}. */
  @Command(name = "public-key", mixinStandardHelpOptions = true,
      description = {"Print the witness's verifier key: name+hex8+base64(0x04||key) (C2SP tlog-cosignature).",
          "Give it to the Curfew nodes (witnesses: key) and to auditors (audit verify --witness-key)."})
  static final class PublicKey implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--data", paramLabel = "DIR", required = true, description = "The witness's directory.")
    Path data;

    @Override
    public Integer call() {
      try {
        spec.commandLine().getOut().println(WitnessFiles.readKey(data).key().verifierKey());
      } catch (IOException e) {
        throw new IllegalArgumentException(e.getMessage());
      }
      spec.commandLine().getOut().flush();
      return 0;
    }
  }

  /** The log keys of {@code files} (one verifier key per non-blank line), by origin. */
  static Map<String, List<NoteVerifier>> readLogKeys(List<Path> files) {
    Map<String, List<NoteVerifier>> byOrigin = new LinkedHashMap<>();
    for (Path f : files) {
      List<String> lines;
      try {
        lines = Files.readAllLines(f, StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new IllegalArgumentException("cannot read " + f + ": " + IoFailure.describe(e));
      }
      for (String line : lines) {
        if (line.isBlank()) continue;
        NoteVerifier k;
        try {
          k = NoteVerifier.parse(line.strip());
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException(f + " is not a log verifier key: " + e.getMessage());
        }
        byOrigin.computeIfAbsent(k.name(), n -> new ArrayList<>()).add(k);
      }
    }
    if (byOrigin.isEmpty()) throw new IllegalArgumentException("no log key in " + files);
    return byOrigin;
  }
}
