package dev.curfew.server.oidc;

/** A logout token that failed a validation step: {@code why} names the step; {@code jti} when it could be read. */
public final class LogoutTokenRejected extends RuntimeException {
  private final String jti;

  public LogoutTokenRejected(String why, String jti) {
    super(why, null, false, false);
    this.jti = jti;
  }

  public String jti() {
    return jti;
  }
}
