package dev.curfew.gateway.mysql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.curfew.core.audit.AuditRecord;
import dev.curfew.core.audit.RecordTypes;
import io.vertx.core.buffer.Buffer;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A client's cancel through the MySQL gateway (docs/gateway-mysql.md, "Cancelling a statement"):
 * the mariadb CLI on Ctrl-C and Connector/J's {@code Statement.cancel()} open a second connection
 * and send {@code KILL QUERY <id>} with the id the greeting gave. The gateway takes it itself: a
 * connection of the same session has its statement killed upstream, any other id is error 1094,
 * and no KILL ever reaches the upstream (whose login every gateway connection shares). The
 * upstream's {@code Com_kill} counter of the killing connection's own upstream session proves the
 * latter.
 */
class MyGatewayKillTest {
  /** ER_NO_SUCH_THREAD: MariaDB Error Codes, 1094 (HY000) "Unknown thread id: %lu". */
  private static final int ER_NO_SUCH_THREAD = 1094;
  /** ER_QUERY_INTERRUPTED: MariaDB Error Codes, 1317 (70100) "Query execution was interrupted". */
  private static final int ER_QUERY_INTERRUPTED = 1317;
  /** ER_NOT_SUPPORTED_YET: MariaDB Error Codes, 1235 (42000). */
  private static final int ER_NOT_SUPPORTED_YET = 1235;

  private static MyGatewayFixture f;

  @BeforeAll
  static void start() {
    f = new MyGatewayFixture("my_gateway_kill");
  }

  @AfterAll
  static void stop() {
    f.close();
  }

  /** The connection id the gateway's greeting gave this connection (what the CLI and Connector/J put in KILL). */
  private static long greetedId(Connection c) throws SQLException {
    return c.unwrap(org.mariadb.jdbc.Connection.class).getThreadId();
  }

  /** How many KILL statements this connection's own upstream session ran (MariaDB counts failed ones too). */
  private static long upstreamKills(Connection c) throws SQLException {
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SHOW SESSION STATUS LIKE 'Com_kill'")) {
      assertThat(rs.next()).isTrue();
      return rs.getLong(2);
    }
  }

  /** Runs {@code sql} on its own thread: its first column, or the exception it ended with. */
  private static CompletableFuture<Object> running(Connection c, String sql) {
    return CompletableFuture.supplyAsync(() -> {
      try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
        rs.next();
        return rs.getString(rs.getMetaData().getColumnCount());
      } catch (SQLException e) {
        return e;
      }
    });
  }

  private static String marker(String who) {
    return who + "_" + System.nanoTime();
  }

  private static List<AuditRecord> statementsOf(String subject) {
    return f.records(RecordTypes.STATEMENT_EXECUTED).stream().filter(r -> subject.equals(r.subject())).toList();
  }

  private static Set<Object> openedIdsOf(String subject) {
    Set<Object> ids = new HashSet<>();
    f.records(RecordTypes.CONNECTION_OPENED).stream().filter(r -> subject.equals(r.subject()))
        .forEach(r -> ids.add(r.data().get("connection_id")));
    return ids;
  }

  // ------------------------------------------------------------------ (a) a cancel of the same session

  @Test
  void killQueryOfTheGreetedId_fromASecondConnectionOfTheSession_cancelsTheStatementPromptly() throws Exception {
    String token = f.open("kim", "long");
    try (Connection busy = f.connect("kim", token); Connection canceller = f.connect("kim", token)) {
      long id = greetedId(busy);
      String marker = marker("kim");
      CompletableFuture<Object> sleeping = running(busy, "SELECT SLEEP(30) AS " + marker);
      Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> f.db.running(marker));
      long started = System.nanoTime();
      try (Statement s = canceller.createStatement()) {
        s.execute("KILL QUERY " + id); // an OK, as the server answers
      }
      Object outcome = sleeping.get(20, TimeUnit.SECONDS);
      assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(15));
      assertThat(outcome).isInstanceOf(SQLException.class);
      assertThat(((SQLException) outcome).getErrorCode()).isEqualTo(ER_QUERY_INTERRUPTED);
      Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> !f.db.running(marker));
      try (Statement s = busy.createStatement(); ResultSet rs = s.executeQuery("SELECT 'still connected'")) {
        assertThat(rs.next()).isTrue(); // KILL QUERY leaves the connection
      }
      assertThat(upstreamKills(canceller)).isZero();
      assertThat(upstreamKills(busy)).isZero();
    }
    Set<Object> kims = openedIdsOf("kim");
    assertThat(statementsOf("kim")).filteredOn(r -> r.data().get("kill") != null).singleElement().satisfies(r -> {
      assertThat(r.data()).containsEntry("outcome", "ok").containsEntry("kill", "query");
      assertThat(r.data().get("text").toString()).startsWith("KILL QUERY ");
      assertThat(kims).contains(r.data().get("killed_connection_id"));
    });
  }

  @Test
  void theFormsStandardClientsSend_cancelTheStatement() throws Exception {
    String token = f.open("cli", "long");
    try (Connection busy = f.connect("cli", token); Connection canceller = f.connect("cli", token)) {
      long id = greetedId(busy);
      List<String> forms = List.of(
          "KILL QUERY " + id, // mariadb / mysql CLI on Ctrl-C, Connector/J's cancel
          "KILL /*!50000 QUERY */ " + id, // Connector/ODBC, older mysql CLIs
          "  kill\n query\t" + id + " ; ", // spelled by hand, with a trailing semicolon
          "/* cancel */ KILL HARD QUERY -- hard is the default\n " + id);
      for (String form : forms) {
        String marker = marker("cli");
        CompletableFuture<Object> sleeping = running(busy, "SELECT SLEEP(30) AS " + marker);
        Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> f.db.running(marker));
        try (Statement s = canceller.createStatement()) {
          s.execute(form);
        }
        Object outcome = sleeping.get(20, TimeUnit.SECONDS);
        assertThat(outcome).as(form).isInstanceOf(SQLException.class);
        assertThat(((SQLException) outcome).getErrorCode()).as(form).isEqualTo(ER_QUERY_INTERRUPTED);
      }
      // Connector/J's own Statement.cancel(): a new connection with the same login, KILL QUERY <greeted id>.
      String marker = marker("cli");
      try (Statement s = busy.createStatement()) {
        CompletableFuture<Object> sleeping = CompletableFuture.supplyAsync(() -> {
          try (ResultSet rs = s.executeQuery("SELECT SLEEP(30) AS " + marker)) {
            return rs.next();
          } catch (SQLException e) {
            return e;
          }
        });
        Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> f.db.running(marker));
        s.cancel();
        Object outcome = sleeping.get(20, TimeUnit.SECONDS);
        assertThat(outcome).isInstanceOf(SQLException.class);
        assertThat(((SQLException) outcome).getErrorCode()).isEqualTo(ER_QUERY_INTERRUPTED);
      }
      assertThat(upstreamKills(canceller)).isZero();
    }
  }

  @Test
  void killConnection_endsThatGatewayConnection_with1927_andTheSessionLivesOn() throws Exception {
    String token = f.open("kai", "long");
    try (Connection victim = f.connect("kai", token); Connection killer = f.connect("kai", token)) {
      long id = greetedId(victim);
      String marker = marker("kai");
      CompletableFuture<Object> sleeping = running(victim, "SELECT SLEEP(30) AS " + marker);
      Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> f.db.running(marker));
      try (Statement s = killer.createStatement()) {
        s.execute("KILL " + id); // the CLI's second Ctrl-C, Connector/J's abort()
      }
      Object outcome = sleeping.get(20, TimeUnit.SECONDS);
      assertThat(outcome).isInstanceOf(SQLException.class);
      assertThat(((SQLException) outcome).getErrorCode()).isEqualTo(MyPackets.ER_CONNECTION_KILLED);
      assertThat(((SQLException) outcome).getMessage()).contains("curfew: connection killed");
      Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> !f.db.running(marker));
      assertThat(victim.isValid(5)).isFalse();
      try (Statement s = killer.createStatement(); ResultSet rs = s.executeQuery("SELECT 'alive'")) {
        assertThat(rs.next()).isTrue();
      }
      assertThat(upstreamKills(killer)).isZero();
    }
    assertThat(f.engine.check(token, false).allowed()).isTrue();
    Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> f.records(RecordTypes.CONNECTION_CLOSED).stream()
        .anyMatch(r -> "kai".equals(r.subject()) && "kill_connection".equals(r.data().get("detail"))));
    AuditRecord closed = f.records(RecordTypes.CONNECTION_CLOSED).stream()
        .filter(r -> "kai".equals(r.subject()) && "kill_connection".equals(r.data().get("detail"))).findFirst().orElseThrow();
    assertThat(closed.data()).containsEntry("why", "client_closed");
    assertThat(openedIdsOf("kai")).contains(closed.data().get("killed_by")); // the killer, a connection of the session
    assertThat(closed.data().get("killed_by")).isNotEqualTo(closed.data().get("connection_id"));
  }

  @Test
  void killOfItsOwnId_isWhatTheServerAnswers() throws Exception {
    String token = f.open("ona", "long");
    try (Connection c = f.connect("ona", token)) {
      long id = greetedId(c);
      assertThatThrownBy(() -> c.createStatement().execute("KILL QUERY " + id)).isInstanceOf(SQLException.class)
          .satisfies(e -> assertThat(((SQLException) e).getErrorCode()).isEqualTo(ER_QUERY_INTERRUPTED));
      try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT 'still here'")) {
        assertThat(rs.next()).isTrue();
      }
      assertThat(upstreamKills(c)).isZero();
      assertThatThrownBy(() -> c.createStatement().execute("KILL " + id)).isInstanceOf(SQLException.class)
          .satisfies(e -> assertThat(((SQLException) e).getErrorCode()).isEqualTo(MyPackets.ER_CONNECTION_KILLED));
      assertThat(c.isValid(5)).isFalse();
    }
  }

  // ------------------------------------------------------------------ (b) ids that are not the session's

  @Test
  void killOfAnotherSessionsConnection_orOfAnUnknownId_is1094_andNothingIsRelayed() throws Exception {
    String mine = f.open("amy", "long");
    String sameSubjectOtherSession = f.open("amy", "long");
    String otherSubject = f.open("bea", "long");
    try (Connection killer = f.connect("amy", mine);
         Connection sibling = f.connect("amy", sameSubjectOtherSession);
         Connection stranger = f.connect("bea", otherSubject)) {
      String siblingMarker = marker("amy");
      String strangerMarker = marker("bea");
      CompletableFuture<Object> siblingRuns = running(sibling, "SELECT SLEEP(4) AS " + siblingMarker + ", 'done'");
      CompletableFuture<Object> strangerRuns = running(stranger, "SELECT SLEEP(4) AS " + strangerMarker + ", 'done'");
      Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> f.db.running(siblingMarker) && f.db.running(strangerMarker));
      long unknown = 2_000_000_000L;
      for (long id : List.of(greetedId(sibling), greetedId(stranger), unknown)) {
        for (String form : List.of("KILL QUERY " + id, "KILL " + id, "KILL CONNECTION " + id)) {
          assertThatThrownBy(() -> killer.createStatement().execute(form)).as(form).isInstanceOf(SQLException.class)
              .hasMessageContaining("Unknown thread id: " + id)
              .satisfies(e -> {
                assertThat(((SQLException) e).getErrorCode()).isEqualTo(ER_NO_SUCH_THREAD);
                assertThat(((SQLException) e).getSQLState()).isEqualTo("HY000");
              });
        }
      }
      assertThat(siblingRuns.get(20, TimeUnit.SECONDS)).isEqualTo("done");
      assertThat(strangerRuns.get(20, TimeUnit.SECONDS)).isEqualTo("done");
      assertThat(sibling.isValid(5)).isTrue();
      assertThat(stranger.isValid(5)).isTrue();
      assertThat(upstreamKills(killer)).isZero();
    }
    assertThat(statementsOf("amy")).filteredOn(r -> r.data().get("kill") != null).hasSize(9)
        .allSatisfy(r -> assertThat(r.data()).containsEntry("outcome", "error").doesNotContainKey("killed_connection_id"));
  }

  @Test
  void killFormsTheGatewayDoesNotTake_areRefused_andNotRelayed() throws Exception {
    String token = f.open("ray", "long");
    Properties multi = new Properties();
    multi.setProperty("allowMultiQueries", "true");
    try (Connection c = f.connect("ray", token, f.db.name, multi); Connection other = f.connect("ray", token)) {
      long id = greetedId(other);
      for (String form : List.of("KILL USER " + f.db.user, "KILL QUERY ID " + id, "KILL SOFT QUERY " + id, "KILL " + id + " + 0",
          "KILL CONNECTION_ID()", "SELECT 1; KILL QUERY " + id, "DO 1 /*!50000 ; KILL " + id + " */",
          "BEGIN NOT ATOMIC KILL QUERY " + id + "; END")) {
        assertThatThrownBy(() -> c.createStatement().execute(form)).as(form).isInstanceOf(SQLException.class)
            .satisfies(e -> assertThat(((SQLException) e).getErrorCode()).as(form).isEqualTo(ER_NOT_SUPPORTED_YET));
      }
      assertThat(upstreamKills(c)).isZero();
      assertThat(other.isValid(5)).isTrue();
      // Statements that merely mention the word are relayed as ever.
      try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT 'KILL QUERY " + id + "' AS `kill`")) {
        assertThat(rs.next()).isTrue();
        assertThat(rs.getString("kill")).isEqualTo("KILL QUERY " + id);
      }
    }
  }

  @Test
  void comProcessKill_isTakenLikeKillConnection_andAPreparedKillIsRefused() throws Exception {
    String token = f.open("pia", "long");
    String stranger = f.open("pam", "long");
    try (Connection victim = f.connect("pia", token); Connection other = f.connect("pam", stranger);
         Socket raw = new Socket("127.0.0.1", f.gateway.port())) {
      InputStream in = raw.getInputStream();
      rawLogin(raw, "pia", token);
      // COM_STMT_PREPARE of a KILL: a COM_STMT_EXECUTE would run it upstream.
      raw.getOutputStream().write(MyPackets.packet(0, Buffer.buffer().appendByte((byte) MyPackets.COM_STMT_PREPARE)
          .appendString("KILL QUERY " + greetedId(victim))).getBytes());
      byte[] refused = read(in);
      assertThat(refused[0] & 0xff).isEqualTo(0xff);
      assertThat((refused[1] & 0xff) | (refused[2] & 0xff) << 8).isEqualTo(ER_NOT_SUPPORTED_YET);
      raw.getOutputStream().write(comProcessKill(greetedId(other)).getBytes());
      byte[] err = read(in);
      assertThat(err[0] & 0xff).isEqualTo(0xff);
      assertThat((err[1] & 0xff) | (err[2] & 0xff) << 8).isEqualTo(ER_NO_SUCH_THREAD);
      assertThat(other.isValid(5)).isTrue();
      raw.getOutputStream().write(comProcessKill(greetedId(victim)).getBytes());
      assertThat(read(in)[0]).isEqualTo((byte) 0x00); // OK
      Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> !victim.isValid(1));
      assertThat(other.isValid(5)).isTrue();
    }
  }

  // ------------------------------------------------------------------ (c) the cancel is passive

  @Test
  void theKill_doesNotMoveTheSessionsIdleDeadline() throws Exception {
    String token = f.open("ida", "long");
    try (Connection busy = f.connect("ida", token); Connection canceller = f.connect("ida", token)) {
      long id = greetedId(busy);
      // Connector/J's connect runs statements of its own, which count; from here on only its KILLs come.
      long lastActivity = f.engine.check(token, false).status().lastActivityAtMs();
      long idleDeadline = f.engine.check(token, false).status().idleExpiresAtMs();
      Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> System.currentTimeMillis() > lastActivity + 50);
      try (Statement s = canceller.createStatement()) {
        s.execute("KILL QUERY " + id);
        assertThatThrownBy(() -> s.execute("KILL QUERY 2000000000")).isInstanceOf(SQLException.class);
      }
      assertThat(f.engine.check(token, false).status().lastActivityAtMs()).isEqualTo(lastActivity);
      assertThat(f.engine.check(token, false).status().idleExpiresAtMs()).isEqualTo(idleDeadline);
      // A statement does move it: the clock is watched here, not stopped.
      try (Statement s = canceller.createStatement()) {
        s.execute("SELECT NOW()");
      }
      assertThat(f.engine.check(token, false).status().lastActivityAtMs()).isGreaterThan(lastActivity);
    }
  }

  @Test
  void aCancelAsTheCliSendsIt_itsLoginAndItsKill_doNotMoveTheIdleDeadline() throws Exception {
    String token = f.open("ivo", "long");
    try (Connection busy = f.connect("ivo", token); Socket canceller = new Socket("127.0.0.1", f.gateway.port())) {
      long id = greetedId(busy);
      long lastActivity = f.engine.check(token, false).status().lastActivityAtMs();
      long idleDeadline = f.engine.check(token, false).status().idleExpiresAtMs();
      Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> System.currentTimeMillis() > lastActivity + 50);
      // the mariadb CLI's Ctrl-C: a new connection, a login, KILL QUERY, nothing else
      rawLogin(canceller, "ivo", token);
      canceller.getOutputStream().write(MyPackets.packet(0, Buffer.buffer().appendByte((byte) MyPackets.COM_QUERY)
          .appendString("KILL QUERY " + id)).getBytes());
      assertThat(read(canceller.getInputStream())[0]).isEqualTo((byte) 0x00); // OK
      assertThat(f.engine.check(token, false).status().lastActivityAtMs()).isEqualTo(lastActivity);
      assertThat(f.engine.check(token, false).status().idleExpiresAtMs()).isEqualTo(idleDeadline);
    }
  }

  // ------------------------------------------------------------------ (d) unique ids

  @Test
  void greetedIds_areUniqueAmongLiveConnections_andFitTheProtocolsField() throws Exception {
    List<Socket> sockets = new ArrayList<>();
    Set<Long> ids = new HashSet<>();
    try {
      for (int i = 0; i < 200; i++) {
        Socket s = new Socket("127.0.0.1", f.gateway.port());
        sockets.add(s);
        long id = greetingId(read(s.getInputStream()));
        assertThat(id).isBetween(1L, 0xffffffffL);
        assertThat(ids.add(id)).as("id %d given twice", id).isTrue();
      }
    } finally {
      for (Socket s : sockets) s.close();
    }
  }

  // ------------------------------------------------------------------ raw protocol

  private static byte[] read(InputStream in) throws IOException {
    DataInputStream d = new DataInputStream(in);
    byte[] header = new byte[4];
    d.readFully(header);
    byte[] payload = new byte[(header[0] & 0xff) | (header[1] & 0xff) << 8 | (header[2] & 0xff) << 16];
    d.readFully(payload);
    return payload;
  }

  /** Protocol::HandshakeV10: protocol version, the NUL-terminated server version, then the 4-byte connection id. */
  private static long greetingId(byte[] greeting) {
    int at = 1;
    while (greeting[at] != 0) at++;
    at++;
    return (greeting[at] & 0xffL) | (greeting[at + 1] & 0xffL) << 8 | (greeting[at + 2] & 0xffL) << 16
        | (greeting[at + 3] & 0xffL) << 24;
  }

  /** A plaintext login with mysql_clear_password straight away (the fixture's target does not require TLS). */
  private static void rawLogin(Socket s, String user, String token) throws IOException {
    read(s.getInputStream());
    int caps = MyPackets.CLIENT_PROTOCOL_41 | MyPackets.CLIENT_SECURE_CONNECTION | MyPackets.CLIENT_PLUGIN_AUTH
        | MyPackets.CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA | MyPackets.CLIENT_CONNECT_WITH_DB | MyPackets.CLIENT_DEPRECATE_EOF;
    Buffer login = MyHandshake.response(1, caps, 1 << 24, MyPackets.UTF8MB4_GENERAL_CI, user,
        (token + "\0").getBytes(), f.db.name, MyPackets.CLEAR_PASSWORD, null);
    s.getOutputStream().write(login.getBytes());
    assertThat(read(s.getInputStream())[0]).isEqualTo((byte) 0x00);
  }

  /** COM_PROCESS_KILL: the command byte and the 4-byte connection id (MySQL "COM_PROCESS_KILL"). */
  private static Buffer comProcessKill(long id) {
    return MyPackets.packet(0, Buffer.buffer().appendByte((byte) MyPackets.COM_PROCESS_KILL).appendUnsignedIntLE(id));
  }
}
