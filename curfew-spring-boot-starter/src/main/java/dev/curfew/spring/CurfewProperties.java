package dev.curfew.spring;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * {@code curfew.*} in application properties. Only {@code curfew.url} and {@code curfew.api-key}
 * are needed; without {@code curfew.url} the starter stays out of the way.
 */
@ConfigurationProperties("curfew")
public class CurfewProperties {
  /** The Curfew server's API, {@code http://localhost:8080} for example. */
  private URI url;
  /** An API key with the {@code app} scope (opens sessions; the holder calls need none). */
  private String apiKey;
  /** The policy of the sessions opened at login; empty: the server's default policy. */
  private String policy;
  /**
   * Paths (Spring path patterns, {@code /api/notifications/**}) whose requests are checked but do
   * not count as activity: polling, heartbeats, autosave.
   */
  private List<String> passivePaths = new ArrayList<>();
  /** Where a navigation goes when its session has ended, with {@code ?return=}. */
  private String loginPath = "/login";

  public URI getUrl() {
    return url;
  }

  public void setUrl(URI url) {
    this.url = url;
  }

  public String getApiKey() {
    return apiKey;
  }

  public void setApiKey(String apiKey) {
    this.apiKey = apiKey;
  }

  public String getPolicy() {
    return policy;
  }

  public void setPolicy(String policy) {
    this.policy = policy;
  }

  public List<String> getPassivePaths() {
    return passivePaths;
  }

  public void setPassivePaths(List<String> passivePaths) {
    this.passivePaths = passivePaths;
  }

  public String getLoginPath() {
    return loginPath;
  }

  public void setLoginPath(String loginPath) {
    this.loginPath = loginPath;
  }
}
