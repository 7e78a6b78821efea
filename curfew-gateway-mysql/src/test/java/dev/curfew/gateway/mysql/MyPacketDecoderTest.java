package dev.curfew.gateway.mysql;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.buffer.Buffer;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class MyPacketDecoderTest {
  /**
   * A large packet in small chunks: what is held grows with each chunk, and is not copied again
   * for each one. Before, every chunk that completed nothing copied all that was held: a 4 MiB
   * command in 1 KiB chunks allocated some 8 GiB (a logged-in client's 64 MiB command, 2 TiB).
   */
  @Test
  void aPacketInManySmallChunks_isGatheredWithoutCopyingWhatIsHeldForEachChunk() throws Exception {
    int payload = 4 << 20;
    Buffer packet = Buffer.buffer().appendMediumLE(payload).appendByte((byte) 0);
    for (int i = 0; i < payload; i++) packet.appendByte((byte) i);
    MyPacketDecoder decoder = new MyPacketDecoder(64 << 20);
    List<Buffer> whole = new ArrayList<>();
    var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    long before = threads.getCurrentThreadAllocatedBytes();
    for (int at = 0; at < packet.length(); at += 1024) {
      decoder.decode(packet.slice(at, Math.min(packet.length(), at + 1024)), (seq, p, raw) -> whole.add(p.copy()));
    }
    long allocated = threads.getCurrentThreadAllocatedBytes() - before;
    assertThat(whole).hasSize(1);
    assertThat(whole.get(0).getBytes()).isEqualTo(packet.getBytes(4, packet.length()));
    // what is held, grown by doubling, and the packet handed over: a few times its size, not thousands
    assertThat(allocated).as("bytes allocated to gather a 4 MiB packet").isLessThan(64L << 20);
    assertThat(decoder.heldBytes()).isZero();
  }
}
