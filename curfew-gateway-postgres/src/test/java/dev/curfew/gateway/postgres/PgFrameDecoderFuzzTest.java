package dev.curfew.gateway.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.vertx.core.buffer.Buffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The frame parser on untrusted bytes from a client. The first input byte chooses the phase
 * (startup or typed) and how the rest is cut into chunks. Invariants: the decoder either frames or
 * refuses with a FrameException, never anything else; the messages it frames do not depend on
 * where the stream was cut; a kept body has exactly the announced length; a startup body gives a
 * StartupPacket or a FrameException. An ordinary {@code mvn verify} replays the kept inputs
 * (PgFrameDecoderFuzzTestInputs) only.
 */
class PgFrameDecoderFuzzTest {
  private static final int MAX_BODY = 4096;

  @FuzzTest
  void frames_doNotDependOnChunking_andRefuseOnlyWithFrameException(byte[] input) {
    if (input.length == 0) return;
    boolean startup = (input[0] & 1) == 1;
    int chunk = 1 + ((input[0] & 0xff) >>> 1) % 17;
    Buffer stream = Buffer.buffer(input).slice(1, input.length);
    Result whole = decode(startup, List.of(stream));
    List<Buffer> pieces = new ArrayList<>();
    for (int at = 0; at < stream.length(); at += chunk) pieces.add(stream.slice(at, Math.min(stream.length(), at + chunk)));
    Result cut = decode(startup, pieces);
    assertThat(cut.frames).as("frames, cut every %d bytes", chunk).isEqualTo(whole.frames);
    assertThat(cut.refused).isEqualTo(whole.refused);
  }

  private record Result(List<String> frames, String refused) {}

  private static Result decode(boolean startup, List<Buffer> chunks) {
    PgFrameDecoder d = new PgFrameDecoder(startup, MAX_BODY, t -> t != 'd');
    List<String> frames = new ArrayList<>();
    try {
      for (Buffer c : chunks) {
        d.decode(c, (type, bodyBytes, body, end) -> {
          assertThat(end).isBetween(0, c.length());
          if (type != 'd') assertThat(body.length()).isEqualTo(bodyBytes);
          else assertThat(body).isNull();
          String startupSummary = "";
          if (type == PgFrameDecoder.STARTUP) {
            try {
              StartupPacket p = StartupPacket.parse(body);
              startupSummary = p.code() + " " + p.parameters();
            } catch (PgFrameDecoder.FrameException refused) {
              startupSummary = "refused";
            }
          }
          frames.add(type + ":" + bodyBytes + ":" + (body == null ? "-" : body.toString("ISO-8859-1")) + startupSummary);
          return true;
        });
      }
      return new Result(frames, null);
    } catch (PgFrameDecoder.FrameException e) {
      return new Result(frames, e.getMessage());
    }
  }
}
