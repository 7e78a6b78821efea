package dev.curfew.server.witness;

import dev.curfew.core.AuditProofs;
import dev.curfew.core.audit.AddCheckpointRequest;
import dev.curfew.core.audit.Checkpoint;
import dev.curfew.core.audit.SignedNote;
import dev.curfew.core.audit.WitnessKey;
import dev.curfew.core.audit.Witnesses;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/*
 * The log's side of c2sp.org/tlog-witness: each new checkpoint is POSTed to every configured
 * witness's <url>/add-checkpoint with "old <size>" and the consistency proof from the size that
 * witness last cosigned. The client does not store that size: it starts from what it last saw,
 * or 0 after a start ("If a client doesn't have information on the latest cosigned checkpoint, it
 * MAY initially make a request with a old size of zero to obtain it"), and a 409 tells it the
 * witness's size (body "<size>\n"), after which it retries once with the right proof.
 *
 * Only cosignature lines that verify with the configured key of that witness are kept ("The client
 * MUST ignore any cosignatures from unknown keys"). A witness that is down, slow or refuses costs
 * at most `timeout` per checkpoint and is then left alone for `backoff`, so the checkpoint timer
 * keeps its pace; its refusals are logged (one line per change of its state), and the checkpoints
 * written meanwhile carry fewer cosignatures, which `audit verify --witness-key` reports. The log
 * offers its latest checkpoint again while it lacks a witness's cosignature (AuditTrail), and a
 * witness that already cosigned the note it is given is not asked again.
 */

/** Submits checkpoints to the configured witnesses. Thread-safe (calls are serialized). */
public final class WitnessClient implements Witnesses {
  private static final System.Logger LOG = System.getLogger(WitnessClient.class.getName());

  /** One configured witness: its base URL and key. */
  public record Endpoint(URI url, WitnessKey key) {
    public Endpoint {
      Objects.requireNonNull(url, "url");
      Objects.requireNonNull(key, "key");
    }

    URI addCheckpoint() {
      String s = url.toString();
      return URI.create((s.endsWith("/") ? s : s + "/") + "add-checkpoint");
    }
  }

  private final List<State> witnesses = new ArrayList<>();
  private final HttpClient http;
  private final Duration timeout;
  private final Duration backoff;

  /** Per witness: the size it holds (as far as we know) and when to try again after a failure. */
  private static final class State {
    final Endpoint endpoint;
    long knownSize; // 0: unknown, learn it from a 409
    long retryAtNanos;
    String lastProblem;

    State(Endpoint e) {
      this.endpoint = e;
    }
  }

  public WitnessClient(List<Endpoint> endpoints, Duration timeout, Duration backoff) {
    for (Endpoint e : endpoints) witnesses.add(new State(e));
    this.timeout = Objects.requireNonNull(timeout, "timeout");
    this.backoff = Objects.requireNonNull(backoff, "backoff");
    this.http = HttpClient.newBuilder().connectTimeout(timeout).build();
  }

  /** With a 5 s timeout and 5 s of rest for a witness that failed. */
  public static WitnessClient of(List<Endpoint> endpoints) {
    return new WitnessClient(endpoints, Duration.ofSeconds(5), Duration.ofSeconds(5));
  }

  @Override
  public synchronized String cosign(String signedNote, Checkpoint checkpoint, AuditProofs proofs) {
    SignedNote note = SignedNote.parse(signedNote);
    List<String> lines = new ArrayList<>();
    for (State w : witnesses) {
      if (System.nanoTime() - w.retryAtNanos < 0 || cosignedBy(note, w.endpoint.key())) continue;
      String line = submit(w, signedNote, note, checkpoint, proofs);
      if (line != null) lines.add(line);
    }
    return lines.isEmpty() ? signedNote : note.withSignatures(lines);
  }

  /** The witness's verified cosignature line, or null (the reason logged). */
  private String submit(State w, String signedNote, SignedNote note, Checkpoint cp, AuditProofs proofs) {
    try {
      for (int attempt = 0; attempt < 2; attempt++) {
        long old = w.knownSize <= cp.treeSize() ? w.knownSize : 0;
        List<byte[]> proof = old == 0 || old == cp.treeSize() ? List.of()
            : proofs.consistencyProof(old, cp.treeSize()).orElseThrow(
                () -> new IllegalStateException("no consistency proof from " + old + " to " + cp.treeSize()));
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(w.endpoint.addCheckpoint()).timeout(timeout)
                .header("Content-Type", "text/plain; charset=utf-8")
                .POST(HttpRequest.BodyPublishers.ofString(new AddCheckpointRequest(old, proof, signedNote).body()))
                .build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        if (r.statusCode() == 409 && attempt == 0 && r.body().matches("[0-9]{1,19}\n")) {
          long theirs = Long.parseLong(r.body().strip());
          if (theirs != old && theirs <= cp.treeSize()) {
            w.knownSize = theirs;
            continue;
          }
        }
        if (r.statusCode() != 200) {
          return failed(w, "answered " + r.statusCode() + ": " + firstLine(r.body()));
        }
        String line = verifiedLine(w, note, r.body());
        if (line == null) return failed(w, "answered 200 without a cosignature that verifies with " + w.endpoint.key());
        w.knownSize = cp.treeSize();
        if (w.lastProblem != null) {
          LOG.log(System.Logger.Level.INFO, "witness " + w.endpoint.url() + " cosigns again (tree size " + cp.treeSize() + ")");
          w.lastProblem = null;
        }
        return line;
      }
      return failed(w, "kept answering 409");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return failed(w, "interrupted");
    } catch (Exception e) {
      return failed(w, e.toString());
    }
  }

  @Override
  public boolean complete(String signedNote) {
    SignedNote note = SignedNote.parse(signedNote);
    for (State w : witnesses) if (!cosignedBy(note, w.endpoint.key())) return false;
    return true;
  }

  private static boolean cosignedBy(SignedNote note, WitnessKey key) {
    for (String l : note.signatureLines()) if (key.check(note.text(), l) == WitnessKey.Check.VALID) return true;
    return false;
  }

  private static String verifiedLine(State w, SignedNote note, String body) {
    for (String l : body.split("\n")) {
      if (w.endpoint.key().check(note.text(), l) == dev.curfew.core.audit.WitnessKey.Check.VALID) return l + "\n";
    }
    return null;
  }

  private String failed(State w, String problem) {
    w.retryAtNanos = System.nanoTime() + backoff.toNanos();
    if (!problem.equals(w.lastProblem)) {
      LOG.log(System.Logger.Level.WARNING, "witness " + w.endpoint.url() + " did not cosign: " + problem
          + " (checkpoints go without its cosignature; retried in " + backoff.toSeconds() + " s)");
      w.lastProblem = problem;
    }
    return null;
  }

  private static String firstLine(String body) {
    String s = body == null ? "" : body.strip();
    int nl = s.indexOf('\n');
    s = nl < 0 ? s : s.substring(0, nl);
    return s.length() > 200 ? s.substring(0, 200) : s;
  }
}
