package dev.curfew.server.cli;

import dev.curfew.core.SystemClock;
import dev.curfew.server.oidc.JwsAlgorithm;
import dev.curfew.server.oidc.LogoutSigningKeys;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code curfew logout-keys rotate}: a new key for the back-channel logout tokens Curfew sends. */
@Command(name = "logout-keys", mixinStandardHelpOptions = true,
    description = "Keys for /.well-known/jwks.json: they sign Curfew's back-channel logout tokens.",
    subcommands = {LogoutKeysCommand.Rotate.class})
final class LogoutKeysCommand {
  @Command(name = "rotate", mixinStandardHelpOptions = true,
      description = {"Add a new signing key; it signs every token from now on, on a running server too.",
          "The previous key stays in the JWKS until the tokens it signed have expired (7 minutes)."})
  static final class Rotate implements Callable<Integer> {
    @Option(names = "--data", paramLabel = "DIR", defaultValue = "curfew-data", description = "Data directory (default ./curfew-data).")
    Path data;

    @Option(names = "--alg", paramLabel = "ALG", defaultValue = "RS256",
        description = "RS256 (default), ES256 or EdDSA: the same as notify.signing_alg of the configuration.")
    String alg;

    @Override
    public Integer call() throws Exception {
      JwsAlgorithm a = JwsAlgorithm.named(alg).filter(x -> x == JwsAlgorithm.RS256 || x == JwsAlgorithm.ES256
          || x == JwsAlgorithm.EdDSA).orElse(null);
      if (a == null) {
        System.err.println("curfew: --alg must be RS256, ES256 or EdDSA, not " + alg);
        return 2;
      }
      String kid = LogoutSigningKeys.rotate(data, a, new SystemClock());
      System.out.println("new " + a + " logout signing key " + kid + " in " + data.resolve(LogoutSigningKeys.DIRECTORY));
      return 0;
    }
  }
}
