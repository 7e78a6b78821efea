package dev.curfew.spring;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.springframework.beans.factory.InitializingBean;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.web.util.pattern.PathPatternParser;

/**
 * {@code curfew.*} in application properties. Only {@code curfew.url} and {@code curfew.api-key}
 * are needed; without {@code curfew.url} (or with an empty one) the starter stays out of the way.
 * Values that cannot work are a start-up error naming the property.
 */
@ConfigurationProperties("curfew")
public class CurfewProperties implements InitializingBean {
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

  @Override
  public void afterPropertiesSet() {
    validate();
  }

  /** Refuses, naming the property, what would only fail later on every request. */
  void validate() {
    if (url != null) {
      String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
      if (!(scheme.equals("http") || scheme.equals("https")) || url.getHost() == null || url.getHost().isEmpty()) {
        throw new IllegalStateException("curfew.url: not an http(s) URL: " + url
            + " (the Curfew API's base URL, http://localhost:8080 for example)");
      }
    }
    if (loginPath == null || !isAppPath(loginPath) || loginPath.contains("?") || loginPath.contains("#")) {
      throw new IllegalStateException("curfew.login-path: not a path of the app (/login): " + loginPath);
    }
    for (int i = 0; i < passivePaths.size(); i++) {
      String pattern = passivePaths.get(i);
      if (pattern == null || !pattern.startsWith("/")) {
        throw new IllegalStateException("curfew.passive-paths[" + i + "]: not a path pattern starting with / (/api/notifications/**): "
            + pattern);
      }
      try {
        PathPatternParser.defaultInstance.parse(pattern);
      } catch (RuntimeException e) {
        throw new IllegalStateException("curfew.passive-paths[" + i + "]: not a Spring path pattern: " + pattern + " (" + e.getMessage() + ")");
      }
    }
  }

  private static boolean isAppPath(String path) {
    if (!path.startsWith("/") || path.startsWith("//")) return false;
    for (int i = 0; i < path.length(); i++) {
      char c = path.charAt(i);
      if (c == '\\' || c <= 0x20 || c == 0x7f) return false;
    }
    return true;
  }
}
