package dev.curfew.store.redis;

import dev.curfew.core.TokenHash;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The key layout. Sessions are spread over {@link #SHARDS} shards; every key of a shard carries the
 * hash tag {@code {<prefix>:<n>}}, so one session's hash, its token keys and its shard's deadline set
 * live in one slot of a Redis Cluster, and a script that starts from a token touches one slot.
 *
 * <pre>
 * {curfew:7}:s:&lt;session id&gt;    hash: the session
 * {curfew:7}:t:&lt;sha-256 hex&gt;    string: the session id of a token (current and previous)
 * {curfew:7}:due                zset: session id by the next instant it must be looked at
 * {curfew:7}:pending            zset: endings and warnings claimed but not yet audited, by lease end
 * {curfew:7}:live               counter: live sessions of the shard
 * {curfew:7}:u:&lt;sha-1 hex&gt;      zset: live sessions of a subject (all in its shard) by creation time
 * {curfew:u:&lt;sha-256 hex&gt;}     set: the session ids of a subject
 * {curfew}:policies             hash: every version of every policy
 * {curfew}:policies-pending     zset: policy versions added but not yet audited, by lease end
 * </pre>
 *
 * A session's shard is chosen from its token's hash; its id is drawn so that {@link #shardOfId}
 * gives the same shard, so that operations by id find it without a lookup.
 */
final class RedisKeys {
  static final int SHARDS = 16;

  final String prefix;
  /** {@link #shard(int)} of each shard, made once: every check names its shard's keys. */
  private final String[] shards = new String[SHARDS];

  RedisKeys(String prefix) {
    if (prefix == null || !prefix.matches("[A-Za-z0-9._-]{1,64}")) {
      throw new IllegalArgumentException("redis key prefix must be 1-64 of [A-Za-z0-9._-]: " + prefix);
    }
    this.prefix = prefix;
    for (int n = 0; n < SHARDS; n++) shards[n] = "{" + prefix + ":" + n + "}:";
  }

  static int shardOf(TokenHash h) {
    return h.leadingByte() % SHARDS;
  }

  /**
   * The shard every session of {@code subject} is opened in (its token and id are drawn to fall
   * there), so that the subject's live sessions can be counted in the script that opens one.
   */
  static int shardOfSubject(String subject) {
    return Math.floorMod(subject.hashCode(), SHARDS);
  }

  static int shardOfId(String sessionId) {
    return Math.floorMod(sessionId.hashCode(), SHARDS);
  }

  /** The common beginning of a shard's keys, {@code {prefix:n}:}. */
  String shard(int n) {
    return shards[n];
  }

  String session(String id) {
    return shard(shardOfId(id)) + "s:" + id;
  }

  String token(TokenHash h) {
    return token(shardOf(h), h.toHex());
  }

  /** {@link #token(TokenHash)} from the hash's shard and hex, where the caller has both already. */
  String token(int shard, String hashHex) {
    return shards[shard] + "t:" + hashHex;
  }

  String due(int shard) {
    return shard(shard) + "due";
  }

  String live(int shard) {
    return shard(shard) + "live";
  }

  String pending(int shard) {
    return shard(shard) + "pending";
  }

  /**
   * The live sessions of a subject, by opening time: a sorted set in the subject's shard, where every
   * session of the subject lives, so that open.lua adds a session to it in the step that creates the
   * session and the ending removes it in the step that ends it (common.lua's {@code subject_live}).
   */
  String subjectLive(String subject) {
    return shard(shardOfSubject(subject)) + "u:" + hex("SHA-1", subject);
  }

  String policies() {
    return "{" + prefix + "}:policies";
  }

  /** Policy versions added but not yet in an audit log, by lease end (the policies' slot). */
  String policiesPending() {
    return "{" + prefix + "}:policies-pending";
  }

  /** Session events for the other nodes' event streams and gateways. */
  String eventsChannel() {
    return prefix + ":events";
  }

  /** "A shard has a new earliest deadline": lets the nodes look in time. */
  String dueChannel() {
    return prefix + ":due";
  }

  String policiesChannel() {
    return prefix + ":policies";
  }

  private static String hex(String digest, String s) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance(digest).digest(s.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
