package dev.vbuf;

import java.util.Arrays;

import dev.vbuf.config.VbufConfig;
import dev.vbuf.log.LogSetup;
import dev.vbuf.log.ShutdownSafeLogManager;
import dev.vbuf.server.VbufServer;

/**
 * Command line entry point. {@code java -jar vbuf.jar} (or {@code serve}) runs the service.
 */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        System.setProperty("java.util.logging.manager", ShutdownSafeLogManager.class.getName());
        String command = args.length == 0 ? "serve" : args[0];
        switch (command) {
            case "serve" -> serve();
            case "stream" -> client(new dev.vbuf.cli.StreamCommand(), Arrays.copyOfRange(args, 1, args.length));
            case "demo" -> client(new dev.vbuf.cli.DemoCommand(), Arrays.copyOfRange(args, 1, args.length));
            case "token" -> client(new dev.vbuf.cli.TokenCommand(), Arrays.copyOfRange(args, 1, args.length));
            case "verify" -> client(new dev.vbuf.cli.VerifyCommand(), Arrays.copyOfRange(args, 1, args.length));
            case "-h", "--help", "help" -> usage(0);
            default -> {
                System.err.println("unknown command: " + String.join(" ", Arrays.asList(args)));
                usage(2);
            }
        }
    }

    private static void serve() {
        VbufConfig config;
        VbufServer server;
        try {
            config = VbufConfig.load();
            LogSetup.configure(config.log().format(), config.log().level());
            config.logWarnings();
            server = VbufServer.start(config);
        } catch (IllegalStateException | IllegalArgumentException e) {
            System.err.println("vbuf: cannot start: " + e.getMessage());
            System.exit(1);
            return;
        }
        // SIGTERM/SIGINT: drain (readiness down, in-progress segments answered), then exit.
        Thread drain = new Thread(server::drainAndStop, "vbuf-drain");
        Runtime.getRuntime().addShutdownHook(drain);
    }

    private static void client(Object command, String[] args) {
        LogSetup.configure("text", "WARNING");
        System.exit(new picocli.CommandLine(command).execute(args));
    }

    private static void usage(int status) {
        System.out.println("""
                usage: java -jar target/vbuf.jar [serve | demo | stream ... | token ...]
                  serve   run the segment service (default). Configuration: application.yaml and the
                          environment variables listed in docs/operations.md (VBUF_ + the key, e.g. VBUF_SERVER_PORT).
                  demo    start a server, stream a generated 60-s 720p video through it, write the audio
                  stream  INPUT... --url ws://host:port/v1/segments [--format %s]
                          [--segment-seconds 6] [--realtime] [--out FILE] [--token JWT]
                          (stream --help for all options)
                  token   print an access token signed with VBUF_AUTH_SECRET_KEY: [--subject S] [--ttl-minutes 60]
                  verify  release gate: --url wss://TAG---host/v1/segments [--seconds 60] [--sessions 4]; exits 1
                          when p95, the error share or a lost answer breaks the rollback alerts' SLO (--serve PORT:
                          the same check as a webhook, for Flagger)
                The benchmark, soak and capacity tools are a build of their own: perf/ (perf/README.md).
                """.formatted(dev.vbuf.cli.FormatOption.usageChoices()));
        System.exit(status);
    }
}
