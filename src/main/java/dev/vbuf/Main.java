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
            case "bench" -> tool("bench", dev.vbuf.bench.SegmentBench::main, Arrays.copyOfRange(args, 1, args.length));
            case "soak" -> tool("soak", dev.vbuf.bench.Soak::main, Arrays.copyOfRange(args, 1, args.length));
            case "capacity" -> tool("capacity", dev.vbuf.bench.Capacity::main, Arrays.copyOfRange(args, 1, args.length));
            case "plan" -> tool("plan", dev.vbuf.bench.Planner::main, Arrays.copyOfRange(args, 1, args.length));
            case "stream" -> client(new dev.vbuf.client.StreamCommand(), Arrays.copyOfRange(args, 1, args.length));
            case "demo" -> client(new dev.vbuf.client.DemoCommand(), Arrays.copyOfRange(args, 1, args.length));
            case "token" -> client(new dev.vbuf.client.TokenCommand(), Arrays.copyOfRange(args, 1, args.length));
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
            LogSetup.configure(config.logFormat(), config.logLevel());
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

    /** A benchmark-style tool: quiet logs, exit 0 when it returns, 1 when it throws. */
    private interface Tool {
        void main(String[] args) throws Exception;
    }

    private static void tool(String name, Tool tool, String[] args) {
        LogSetup.configure("text", "WARNING");
        try {
            tool.main(args);
            System.exit(0);
        } catch (Exception e) {
            System.err.println("vbuf " + name + ": " + e);
            System.exit(1);
        }
    }

    private static void usage(int status) {
        System.out.println("""
                usage: java -jar target/vbuf.jar [serve | demo | stream ... | token ... | bench ... | soak ... |
                       capacity ... | plan ...]
                  serve   run the segment service (default). Configuration: application.yaml and the
                          environment variables listed in README.md (VBUF_ + the key, e.g. VBUF_SERVER_PORT).
                  demo    start a server, stream a generated 60-s 720p video through it, write the audio
                  stream  INPUT... --url ws://host:port/v1/segments [--format fmp4|aac|webm|pcm]
                          [--segment-seconds 6] [--realtime] [--out FILE] [--token JWT]
                          (stream --help for all options)
                  token   print an access token signed with VBUF_AUTH_SECRET_KEY: [--subject S] [--ttl-minutes 60]
                  bench   raw FFmpeg against the server over WebSocket, same machine and segments:
                          --segments 48 --parallel 1,2,4 --formats aac,webm --seconds 6
                  soak    tens of thousands of segments (10 % bad) over churning sessions; server descriptors,
                          threads, children, RSS and heap sampled: --segments 20000 --sessions 16
                  capacity  measure CPU/wall per segment by format and length, and latency vs offered load:
                          --out perf/results/capacity.json --formats aac,fmp4,webm,pcm --seconds 2,6
                  plan    capacity and Cloud Run cost from those measurements and perf/planner.yaml:
                          --measurements perf/results/capacity.json --inputs perf/planner.yaml --out perf/results
                """);
        System.exit(status);
    }
}
