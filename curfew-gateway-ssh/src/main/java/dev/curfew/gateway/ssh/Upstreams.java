package dev.curfew.gateway.ssh;

import java.io.IOException;
import java.security.KeyPair;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.sshd.client.SshClient;
import org.apache.sshd.client.auth.pubkey.UserAuthPublicKeyFactory;
import org.apache.sshd.client.future.ConnectFuture;
import org.apache.sshd.client.keyverifier.ServerKeyVerifier;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.AttributeRepository;
import org.apache.sshd.common.keyprovider.KeyIdentityProvider;
import org.apache.sshd.core.CoreModuleProperties;

/**
 * Curfew's own logins to the targets: one MINA SSHD client, public-key authentication only with
 * each target's configured key (never a key from the user's home), and each target's host key
 * checked by that target's verifier, chosen by the target name the connection carries from its start.
 */
final class Upstreams implements AutoCloseable {
  private static final AttributeRepository.AttributeKey<String> TARGET = new AttributeRepository.AttributeKey<>();
  /** How long a login to a target may take, key exchange included (at most). */
  static final Duration LOGIN_TIMEOUT = Duration.ofSeconds(15);

  private final SshClient client;
  private final Map<String, KeyPair> identities = new HashMap<>();
  private final Map<String, ServerKeyVerifier> verifiers = new HashMap<>();
  private final Duration loginTimeout;

  /** {@code loginTimeout}: how long a login to a target may take (key exchange included). */
  Upstreams(List<SshTarget> targets, Duration loginTimeout) throws IOException {
    this.loginTimeout = loginTimeout;
    for (SshTarget t : targets) {
      identities.put(t.name(), SshKeys.privateKey(t.identityFile()));
      verifiers.put(t.name(), SshKeys.verifierOf(t));
    }
    client = SshClient.setUpDefaultClient();
    client.setKeyIdentityProvider(KeyIdentityProvider.EMPTY_KEYS_PROVIDER);
    client.setUserAuthFactories(List.of(UserAuthPublicKeyFactory.INSTANCE));
    client.setServerKeyVerifier((session, remote, key) -> {
      ServerKeyVerifier v = verifiers.get(session.getConnectionContext().getAttribute(TARGET));
      return v != null && v.verifyServerKey(session, remote, key);
    });
    // Curfew decides when a session is idle; the transport must not cut a quiet shell on its own.
    CoreModuleProperties.IDLE_TIMEOUT.set(client, Duration.ZERO);
    CoreModuleProperties.AUTH_TIMEOUT.set(client, loginTimeout);
    client.start();
  }

  /**
   * Logs in to {@code target}; completes with the authenticated session, or fails (at the latest after
   * the login timeout). A target that answers after the timeout is disconnected, never left open.
   */
  CompletableFuture<ClientSession> connect(SshTarget target) {
    CompletableFuture<ClientSession> answer = new CompletableFuture<>();
    AtomicReference<ClientSession> reached = new AtomicReference<>();
    ConnectFuture connecting;
    try {
      connecting = client.connect(target.user(), target.host(), target.port(),
          AttributeRepository.ofKeyValuePair(TARGET, target.name()), null);
    } catch (IOException | RuntimeException e) {
      answer.completeExceptionally(e);
      return answer;
    }
    connecting.addListener(c -> {
      if (!c.isConnected()) {
        answer.completeExceptionally(c.getException() == null ? new IOException("not connected") : c.getException());
        return;
      }
      ClientSession s = c.getSession();
      reached.set(s);
      if (answer.isDone()) { // timed out meanwhile
        s.close(true);
        return;
      }
      s.addPublicKeyIdentity(identities.get(target.name()));
      try {
        s.auth().addListener(a -> {
          if (!a.isSuccess()) {
            s.close(true);
            answer.completeExceptionally(a.getException() == null ? new IOException("login refused") : a.getException());
          } else if (!answer.complete(s)) {
            s.close(true); // logged in after the timeout: nobody waits for it
          }
        });
      } catch (IOException e) {
        s.close(true);
        answer.completeExceptionally(e);
      }
    });
    answer.orTimeout(loginTimeout.toMillis(), TimeUnit.MILLISECONDS).whenComplete((s, e) -> {
      if (e == null) return;
      connecting.cancel();
      ClientSession r = reached.get();
      if (r != null) r.close(true);
    });
    return answer;
  }

  @Override
  public void close() throws IOException {
    client.stop();
  }
}
