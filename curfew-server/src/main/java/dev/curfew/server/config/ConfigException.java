package dev.curfew.server.config;

/** A configuration error: {@link #key()} names the offending key as a dotted path. */
public final class ConfigException extends RuntimeException {
  private final String key;

  public ConfigException(String key, String message) {
    super(key + ": " + message);
    this.key = key;
  }

  public String key() {
    return key;
  }
}
