package dev.curfew.bench.peers;

/**
 * Check-and-touch through Redis: Spring Session and Curfew, driven alike. Run by {@code run.sh}, which
 * adds redis-benchmark and prints the table.
 *
 * <pre>
 * java -jar curfew-bench-peers/target/curfew-bench-peers.jar spring [options]           (RedisIndexedSessionRepository)
 * java -jar curfew-bench-peers/target/curfew-bench-peers.jar spring-default [options]   (RedisSessionRepository)
 * java -jar curfew-bench-peers/target/curfew-bench-peers.jar curfew --store redis|embedded|CLASS [options]
 *
 * options: --redis 127.0.0.1:6379  --sessions 100000  --threads 8,16,32,64  --in-flight 64,128,256,512 (curfew)
 *          --warmup 5  --duration 20 (seconds, at each concurrency)  --namespace curfew-bench-peers
 * </pre>
 */
public final class Main {
  private Main() {}

  public static void main(String[] args) throws Exception {
    if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h")) {
      usage();
      return;
    }
    Options o = new Options(args, 1);
    int status;
    switch (args[0]) {
      case "spring" -> {
        SpringSessionPeer.run(SpringSessionPeer.Kind.INDEXED, Bench.from(o, "spring"));
        status = 0;
      }
      case "spring-default" -> {
        SpringSessionPeer.run(SpringSessionPeer.Kind.DEFAULT, Bench.from(o, "spring-default"));
        status = 0;
      }
      case "curfew" -> {
        StoreFactory factory = CurfewCheck.factory(o.string("store", "redis"));
        status = CurfewCheck.run(Bench.from(o, "curfew"), factory);
      }
      default -> {
        usage();
        status = 2;
      }
    }
    System.exit(status);
  }

  private static void usage() {
    System.out.println("""
        usage: curfew-bench-peers spring [options]           Spring Session RedisIndexedSessionRepository
               curfew-bench-peers spring-default [options]   Spring Session RedisSessionRepository
               curfew-bench-peers curfew [--store redis|embedded|CLASS] [options]
          --redis HOST:PORT     Redis server (127.0.0.1:6379)
          --sessions N          sessions created before measuring (100000)
          --threads LIST        closed-loop callers, each waiting for its answer (8,16,32,64)
          --in-flight LIST      curfew: asynchronous checks kept in flight by one thread (64,128,256,512)
          --warmup S            seconds of warm-up before each measurement (5)
          --duration S          measured seconds at each concurrency (20)
          --namespace NAME      key prefix (curfew-bench-peers); NAME:spring:*, NAME:spring-default:*
                                and NAME:curfew:* are deleted afterwards
          --store               redis: RedisStoreFactory (not plugged in until curfew-store-redis exists);
                                embedded: the in-process engine, a smoke test that never touches Redis;
                                or the class name of a StoreFactory""");
  }
}
