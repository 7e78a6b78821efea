package dev.curfew.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.transport.Transport;
import org.junit.jupiter.api.Test;

/** {@code server.transport}: read from the file, resolved against what this machine can run. */
class NetTransportTest {
  @Test
  void defaultIsAuto_andEachWordIsRead() {
    assertThat(CurfewConfig.parse("").transport()).isEqualTo(NetTransport.AUTO);
    assertThat(CurfewConfig.parse("server: {port: 1}").transport()).isEqualTo(NetTransport.AUTO);
    assertThat(CurfewConfig.parse("server: {transport: io_uring}").transport()).isEqualTo(NetTransport.IO_URING);
    assertThat(CurfewConfig.parse("server: {transport: EPOLL}").transport()).isEqualTo(NetTransport.EPOLL);
    assertThat(CurfewConfig.parse("server: {transport: nio}").transport()).isEqualTo(NetTransport.NIO);
  }

  @Test
  void anUnknownWordNamesTheChoices() {
    assertThatThrownBy(() -> CurfewConfig.parse("server: {transport: kqueue2}"))
        .isInstanceOf(ConfigException.class)
        .hasMessage("server.transport: \"kqueue2\" is not a transport (auto | io_uring | epoll | nio)");
  }

  @Test
  void autoPrefersIoUring_thenEpoll_thenNio() {
    Transport expected = Transport.IO_URING.available() ? Transport.IO_URING
        : Transport.EPOLL.available() ? Transport.EPOLL : Transport.NIO;
    assertThat(NetTransport.AUTO.resolve()).isSameAs(expected);
    assertThat(NetTransport.NIO.resolve()).isSameAs(Transport.NIO);
  }

  /**
   * The machine CI runs on has io_uring: there, {@code auto} must take it, so that every test that
   * starts {@code curfew serve} runs its listeners and relays on io_uring, as production does.
   */
  @Test
  void onTheCiMachine_autoIsIoUring() {
    if (!"true".equals(System.getenv("CI"))) return;
    assertThat(Transport.IO_URING.available())
        .as("io_uring on the CI machine: %s", Transport.IO_URING.unavailabilityCause()).isTrue();
    assertThat(NetTransport.AUTO.resolve()).isSameAs(Transport.IO_URING);
  }

  @Test
  void aTransportTheMachineCannotRun_isAStartUpErrorNamingTheKey() {
    for (NetTransport t : new NetTransport[] {NetTransport.IO_URING, NetTransport.EPOLL}) {
      Transport vertx = t == NetTransport.IO_URING ? Transport.IO_URING : Transport.EPOLL;
      if (vertx.available()) {
        assertThat(t.resolve()).isSameAs(vertx);
      } else {
        assertThatThrownBy(t::resolve).isInstanceOf(ConfigException.class)
            .hasMessageStartingWith("server.transport: " + t.key() + " is not available on this machine");
      }
    }
  }
}
