package dev.vbuf.testing;

import java.util.HashMap;
import java.util.Map;

import dev.vbuf.config.Setting;
import dev.vbuf.config.VbufConfig;
import dev.vbuf.server.VbufServer;

/** Starts the real server in this JVM on an ephemeral port, with the given settings. */
public final class TestServer {
    private TestServer() {
    }

    public static VbufServer start(Map<Setting, String> settings) {
        Map<String, String> overrides = new HashMap<>();
        overrides.put(Setting.PORT.key(), "0");
        overrides.put(Setting.HOST.key(), "127.0.0.1");
        settings.forEach((k, v) -> overrides.put(k.key(), v));
        return VbufServer.start(VbufConfig.load(Map.of(), overrides));
    }

    public static VbufServer start() {
        return start(Map.of());
    }
}
