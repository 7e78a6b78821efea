package dev.curfew.gateway.mysql;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.vertx.core.buffer.Buffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The packet framing on untrusted bytes. The first input byte chooses how the rest is cut into
 * chunks. Invariants: the decoder (a client's login and commands) frames or refuses with its
 * FrameException, never anything else, and the packets it frames, and its refusal, do not depend
 * on where the stream was cut; a login packet parses or is refused with a FrameException; the
 * scanner (the upstream's stream) relays exactly the bytes it was given, in order, and sees the
 * same packet headers however the stream was cut. An ordinary {@code mvn verify} replays the kept
 * inputs (MyPacketDecoderFuzzTestInputs) only.
 */
class MyPacketDecoderFuzzTest {
  private static final int MAX_PAYLOAD = 4096;

  @FuzzTest
  void packets_doNotDependOnChunking_andRefuseOnlyWithFrameException(byte[] input) {
    if (input.length == 0) return;
    int chunk = 1 + (input[0] & 0xff) % 23;
    Buffer stream = Buffer.buffer(input).slice(1, input.length);
    List<Buffer> pieces = new ArrayList<>();
    for (int at = 0; at < stream.length(); at += chunk) pieces.add(stream.slice(at, Math.min(stream.length(), at + chunk)));

    Decoded whole = decode(List.of(stream));
    Decoded cut = decode(pieces);
    assertThat(cut.packets).as("packets, cut every %d bytes", chunk).isEqualTo(whole.packets);
    assertThat(cut.refused).isEqualTo(whole.refused);

    Scanned scannedWhole = scan(List.of(stream));
    Scanned scannedCut = scan(pieces);
    assertThat(scannedCut.relayed).isEqualTo(scannedWhole.relayed);
    assertThat(scannedCut.headers).isEqualTo(scannedWhole.headers);
  }

  private record Decoded(List<String> packets, String refused) {}

  private static Decoded decode(List<Buffer> chunks) {
    MyPacketDecoder d = new MyPacketDecoder(MAX_PAYLOAD);
    List<String> packets = new ArrayList<>();
    try {
      for (Buffer c : chunks) {
        d.decode(c, (seq, payload, raw) -> {
          assertThat(payload.length()).isLessThanOrEqualTo(MAX_PAYLOAD);
          assertThat(raw.length()).isGreaterThanOrEqualTo(payload.length() + 4);
          String login;
          try {
            MyHandshake.Response r = MyHandshake.parseResponse(payload);
            login = r.sslRequest() + ":" + r.user() + ":" + r.database() + ":" + r.plugin();
          } catch (MyPacketDecoder.FrameException refused) {
            login = "refused";
          }
          try {
            login += "|" + MyHandshake.parseGreeting(payload).serverVersion();
          } catch (MyPacketDecoder.FrameException refused) {
            login += "|refused";
          }
          packets.add(seq + ":" + payload.toString("ISO-8859-1") + ":" + login);
          return true;
        });
      }
      return new Decoded(packets, null);
    } catch (MyPacketDecoder.FrameException e) {
      return new Decoded(packets, e.getMessage());
    }
  }

  private record Scanned(byte[] relayed, List<String> headers) {}

  private static Scanned scan(List<Buffer> chunks) {
    MyPacketScanner s = new MyPacketScanner();
    Buffer out = Buffer.buffer();
    List<String> headers = new ArrayList<>();
    for (Buffer c : chunks) {
      s.scan(c, (buf, at, payloadBytes, continuation) -> {
        assertThat(buf.getUnsignedMediumLE(at)).isEqualTo(payloadBytes);
        int prefix = Math.min(payloadBytes, MyPacketScanner.PREFIX_BYTES);
        headers.add(payloadBytes + ":" + buf.getUnsignedByte(at + 3) + ":" + continuation + ":"
            + buf.getBuffer(at + 4, at + 4 + prefix).toString("ISO-8859-1"));
        return null;
      }, out::appendBuffer);
    }
    Buffer all = Buffer.buffer();
    for (Buffer c : chunks) all.appendBuffer(c);
    // What is relayed is the stream as it came; only an unfinished header or prefix at its end is held back.
    assertThat(out.length()).isBetween(all.length() - (4 + MyPacketScanner.PREFIX_BYTES), all.length());
    assertThat(out.getBytes()).isEqualTo(all.getBytes(0, out.length()));
    return new Scanned(out.getBytes(), headers);
  }
}
