package dev.curfew.store.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.redis.client.Response;
import io.vertx.redis.client.impl.types.MultiType;
import io.vertx.redis.client.impl.types.SimpleStringType;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** How {@link CheckBatches} gathers checks into calls, against a caller that answers when told. */
class CheckBatchesTest {
  /** One call the batches made: its keys and arguments, answered by the test. */
  record Call(List<String> keys, List<String> args, Promise<Response> answer) {
    /** Answers each check with its token key. */
    void answerEach() {
      MultiType m = MultiType.create(keys.size(), false);
      for (String k : keys) m.add(SimpleStringType.create(k));
      answer.complete(m);
    }
  }

  private final List<Call> calls = new ArrayList<>();

  private CheckBatches batches(boolean acrossShards, int maxBatch, int maxInFlight) {
    return new CheckBatches((k, a) -> {
      Call c = new Call(List.copyOf(k), List.copyOf(a), Promise.promise());
      calls.add(c);
      return c.answer().future();
    }, acrossShards, maxBatch, maxInFlight);
  }

  private static Future<Response> check(CheckBatches b, int shard, String token) {
    return b.check(shard, "{p:" + shard + "}:t:" + token, "{p:" + shard + "}:", token, "1", "");
  }

  @Test
  void aLoneCheckIsSentAtOnce_andTheOnesArrivingMeanwhileGoTogetherInOneCall() {
    CheckBatches b = batches(true, 128, 1);
    Future<Response> first = check(b, 0, "a");
    assertThat(calls).as("sent at once, no waiting for company").hasSize(1);
    List<Future<Response>> later = new ArrayList<>();
    for (int i = 0; i < 5; i++) later.add(check(b, i % 3, "b" + i));
    assertThat(calls).as("gathered while the first call is under way").hasSize(1);
    calls.get(0).answerEach();
    assertThat(first.result().toString()).isEqualTo("{p:0}:t:a");
    assertThat(calls).hasSize(2);
    Call second = calls.get(1);
    assertThat(second.keys()).hasSize(5);
    assertThat(second.args()).hasSize(20).startsWith("{p:0}:", "b0", "1", "");
    second.answerEach();
    for (int i = 0; i < 5; i++) assertThat(later.get(i).result().toString()).isEqualTo("{p:" + (i % 3) + "}:t:b" + i);
    assertThat(calls).as("nothing left to send").hasSize(2);
  }

  @Test
  void callsUnderWayAreBounded_andABatchIsCapped() {
    CheckBatches b = batches(true, 3, 2);
    for (int i = 0; i < 9; i++) check(b, 0, "t" + i);
    assertThat(calls).hasSize(2);
    assertThat(calls.get(0).keys()).hasSize(1);
    assertThat(calls.get(1).keys()).hasSize(1);
    calls.get(0).answerEach();
    assertThat(calls).hasSize(3);
    assertThat(calls.get(2).keys()).hasSize(3);
    calls.get(1).answerEach();
    calls.get(2).answerEach();
    assertThat(calls).hasSize(5);
    assertThat(calls.get(3).keys()).hasSize(3);
    assertThat(calls.get(4).keys()).hasSize(1);
  }

  @Test
  void perShard_aCallHoldsTheKeysOfOneShardOnly() {
    CheckBatches b = batches(false, 128, 1);
    for (int i = 0; i < 12; i++) check(b, i % 4, "t" + i);
    assertThat(calls).as("one call under way per shard").hasSize(4);
    for (int i = 0; i < 4; i++) calls.get(i).answerEach();
    assertThat(calls).hasSize(8);
    for (Call c : calls) {
      String tag = c.keys().get(0).substring(0, c.keys().get(0).indexOf('}') + 1);
      assertThat(c.keys()).allMatch(k -> k.startsWith(tag));
    }
    assertThat(calls.subList(4, 8)).allMatch(c -> c.keys().size() == 2);
  }

  @Test
  void aFailedCallFailsEachOfItsChecks_andAShortAnswerFailsTheUnanswered() {
    CheckBatches b = batches(true, 128, 1);
    Future<Response> first = check(b, 0, "a");
    Future<Response> x = check(b, 0, "x");
    Future<Response> y = check(b, 1, "y");
    calls.get(0).answer().fail(new IllegalStateException("connection lost"));
    assertThat(first.failed()).isTrue();
    MultiType oneAnswer = MultiType.create(1, false);
    oneAnswer.add(SimpleStringType.create("ok"));
    calls.get(1).answer().complete(oneAnswer);
    assertThat(x.result().toString()).isEqualTo("ok");
    assertThat(y.failed()).isTrue();
    assertThat(y.cause()).hasMessageContaining("2 checks with 1 answers");
  }
}
