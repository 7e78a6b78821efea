package dev.curfew.gateway.ssh;

import java.util.Optional;

/**
 * The SSH user name a client logs in with, {@code SUBJECT@TARGET} (spec/protocol-gateways.md, SSH).
 * The target is what follows the last {@code @}, so a subject may itself contain one
 * ({@code alice@example.com@build-box}).
 */
record TargetLogin(String subject, String target) {
  /** The longest user name looked at; a longer one is refused without parsing. */
  static final int MAX_LENGTH = 512;

  static Optional<TargetLogin> parse(String userName) {
    if (userName == null || userName.length() > MAX_LENGTH) return Optional.empty();
    int at = userName.lastIndexOf('@');
    if (at <= 0 || at == userName.length() - 1) return Optional.empty();
    return Optional.of(new TargetLogin(userName.substring(0, at), userName.substring(at + 1)));
  }
}
