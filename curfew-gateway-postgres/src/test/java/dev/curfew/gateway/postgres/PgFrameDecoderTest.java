package dev.curfew.gateway.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.buffer.Buffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What the decoder holds while a kept body arrives in pieces: never more than what came. */
class PgFrameDecoderTest {
  private static final int BODY_BYTES_ANNOUNCED = 64 << 20;

  @Test
  void decode_announcedBodyNotArrived_holdsOnlyWhatArrived() throws Exception {
    PgFrameDecoder d = new PgFrameDecoder(false, BODY_BYTES_ANNOUNCED, PgFrameDecoder.KeepBody.ALL);
    Buffer header = Buffer.buffer().appendByte((byte) 'Q').appendInt(4 + BODY_BYTES_ANNOUNCED);
    d.decode(header.appendString("x"), (type, bodyBytes, body, end) -> true);
    assertThat(d.midFrame()).isTrue();
    assertThat(d.heldCapacityBytes()).as("bytes reserved for a body of which 1 byte arrived").isLessThan(4096);
  }

  @Test
  void decode_bodyInManyChunks_isWholeAndHeldAtMostTwiceWhatArrived() throws Exception {
    int bodyBytes = 1 << 20;
    PgFrameDecoder d = new PgFrameDecoder(false, bodyBytes, PgFrameDecoder.KeepBody.ALL);
    List<Buffer> bodies = new ArrayList<>();
    d.decode(Buffer.buffer().appendByte((byte) 'Q').appendInt(4 + bodyBytes), (t, n, b, e) -> bodies.add(b));
    byte[] piece = new byte[1000];
    int sent = 0;
    while (sent < bodyBytes) {
      int n = Math.min(piece.length, bodyBytes - sent);
      for (int i = 0; i < n; i++) piece[i] = (byte) (sent + i);
      d.decode(Buffer.buffer(piece).slice(0, n), (t, m, b, e) -> bodies.add(b.copy()));
      sent += n;
      if (sent < bodyBytes) assertThat(d.heldCapacityBytes()).isLessThanOrEqualTo(Math.max(4096, 2 * sent));
    }
    assertThat(bodies).hasSize(1);
    Buffer body = bodies.get(0);
    assertThat(body.length()).isEqualTo(bodyBytes);
    for (int i = 0; i < bodyBytes; i += 4099) assertThat(body.getByte(i)).isEqualTo((byte) i);
    assertThat(d.heldCapacityBytes()).isZero();
  }
}
