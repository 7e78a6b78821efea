package dev.curfew.server.gateway;

import static dev.curfew.server.gateway.GatewayFixture.cookie;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The session holder's changes under {@code /_curfew/session} are made by pages of the gateway's
 * own origin only. The {@code SameSite=Lax} cookie also goes along with a request of another port or
 * subdomain of the same site (an audit showed a page at {@code http://localhost:19304} extending,
 * acknowledging and touching the session of a gateway at {@code localhost:19302} with {@code
 * fetch(..., {method: "POST", mode: "no-cors", credentials: "include"})}); such a request is
 * refused with 403 {@code cross-site} and changes, spends and records nothing.
 */
class GatewayOwnOriginTest {
  private static final String CROSS_SITE = "urn:curfew:problem:cross-site";
  private static final List<String[]> CHANGES = List.of(
      new String[] {"POST", "/_curfew/session/extend"},
      new String[] {"POST", "/_curfew/session/activity"},
      new String[] {"POST", "/_curfew/session/warning-ack"},
      new String[] {"POST", "/_curfew/session/end-others"},
      new String[] {"DELETE", "/_curfew/session"});

  private final GatewayFixture f = new GatewayFixture();

  @AfterEach
  void close() {
    f.close();
  }

  @Test
  void aPageOfAnotherPortOfTheSameSiteChangesNothing() {
    refusedAndNothingChanged("Sec-Fetch-Site", "same-site", "Origin", "http://localhost:19304");
  }

  @Test
  void aPageOfAnotherSubdomainOfTheSameSiteChangesNothing() {
    refusedAndNothingChanged("Sec-Fetch-Site", "same-site", "Origin", "http://app.127.0.0.1.nip.io:" + f.port);
  }

  @Test
  void aCrossSitePageChangesNothing() {
    refusedAndNothingChanged("Sec-Fetch-Site", "cross-site", "Origin", "http://evil.example");
  }

  @Test
  void aForeignOriginWithoutFetchMetadataChangesNothing() {
    refusedAndNothingChanged("Origin", "http://evil.example");
  }

  @Test
  void anotherPortOfTheSameHostWithoutFetchMetadataChangesNothing() {
    refusedAndNothingChanged("Origin", "http://127.0.0.1:" + (f.port == 65535 ? f.port - 1 : f.port + 1));
  }

  @Test
  void anOpaqueNullOriginChangesNothing() {
    refusedAndNothingChanged("Origin", "null");
  }

  @Test
  void theGatewaysOwnPagesChangeTheSession() {
    changesServed("Sec-Fetch-Site", "same-origin", "Origin", "http://127.0.0.1:" + f.port);
  }

  @Test
  void theGatewaysOwnOriginWithoutFetchMetadataChangesTheSession() {
    changesServed("Origin", "http://127.0.0.1:" + f.port);
  }

  @Test
  void aClientThatSendsNeitherHeaderChangesTheSessionAsBefore() {
    changesServed();
  }

  @Test
  void theUsersOwnNavigationChangesTheSession() {
    changesServed("Sec-Fetch-Site", "none");
  }

  /**
   * Every change with {@code headers} is refused 403 {@code cross-site}; afterwards the session's
   * deadlines, extensions and warning are as they were, no record was written, the subject's other
   * session lives, and the gateway's own page can still acknowledge the warning and extend once.
   */
  private void refusedAndNothingChanged(String... headers) {
    String token = f.login("alice");
    String other = f.login("alice");
    f.advance(Duration.ofMinutes(13).plusSeconds(1)); // past warning_at: a warning to acknowledge, activity to move
    ObjectNode before = status(token);
    assertThat(before.get("extensions_used").asInt()).isZero();
    int records = f.sink.records().size();

    for (String[] change : CHANGES) {
      HttpResponse<String> r = f.send(change[0], change[1], with(headers, "Cookie", cookie(token)));
      assertThat(r.statusCode()).as("%s %s: %s", change[0], change[1], r.body()).isEqualTo(403);
      assertThat(json(r).get("type").asText()).isEqualTo(CROSS_SITE);
      assertThat(r.headers().allValues("Set-Cookie")).as("the cookie is left alone").isEmpty();
    }

    assertThat(status(token)).as("deadlines, extensions and activity as they were").isEqualTo(before);
    assertThat(f.sink.records()).as("nothing recorded as if the user had asked").hasSize(records);
    assertThat(f.get("/_curfew/session", "Cookie", cookie(other)).statusCode()).as("the other session lives").isEqualTo(200);
    String[] own = {"Cookie", cookie(token), "Sec-Fetch-Site", "same-origin"};
    assertThat(f.send("POST", "/_curfew/session/warning-ack", own).statusCode())
        .as("the warning is still unacknowledged").isEqualTo(204);
    assertThat(json(f.send("POST", "/_curfew/session/extend", own)).get("extensions_used").asInt()).isEqualTo(1);
  }

  /** Every change with {@code headers} is served as the contract says, and counts. */
  private void changesServed(String... headers) {
    String token = f.login("bob");
    String other = f.login("bob");
    f.advance(Duration.ofMinutes(13).plusSeconds(1));
    String[] h = with(headers, "Cookie", cookie(token));
    String lastActivity = status(token).get("last_activity_at").asText();

    HttpResponse<String> touched = f.send("POST", "/_curfew/session/activity", h);
    assertThat(touched.statusCode()).as(touched.body()).isEqualTo(200);
    assertThat(json(touched).get("last_activity_at").asText()).isNotEqualTo(lastActivity);
    assertThat(f.send("POST", "/_curfew/session/warning-ack", h).statusCode()).isEqualTo(204);
    HttpResponse<String> extended = f.send("POST", "/_curfew/session/extend", h);
    assertThat(extended.statusCode()).as(extended.body()).isEqualTo(200);
    assertThat(json(extended).get("extensions_used").asInt()).isEqualTo(1);
    HttpResponse<String> ended = f.send("POST", "/_curfew/session/end-others", h);
    assertThat(json(ended).get("ended").asInt()).isEqualTo(1);
    assertThat(f.get("/_curfew/session", "Cookie", cookie(other)).statusCode()).isEqualTo(401);
    assertThat(f.send("DELETE", "/_curfew/session", h).statusCode()).isEqualTo(204);
    assertThat(f.get("/_curfew/session", "Cookie", cookie(token)).statusCode()).isEqualTo(401);
  }

  /** The session's status, passively, without {@code server_time}. */
  private ObjectNode status(String token) {
    HttpResponse<String> r = f.get("/_curfew/session", "Cookie", cookie(token));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    ObjectNode s = (ObjectNode) json(r);
    s.remove("server_time");
    return s;
  }

  private static String[] with(String[] headers, String... more) {
    List<String> all = new ArrayList<>(List.of(headers));
    all.addAll(List.of(more));
    return all.toArray(String[]::new);
  }

  private static JsonNode json(HttpResponse<String> r) {
    try {
      return new ObjectMapper().readTree(r.body());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
