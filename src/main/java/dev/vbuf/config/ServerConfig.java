package dev.vbuf.config;

import java.time.Duration;

/**
 * The {@code server} section: where vbuf listens.
 *
 * @param host                 address to bind ({@code server.host})
 * @param port                 port; 0 = any free one ({@code server.port})
 * @param requestHeaderTimeout how long a connection may take to send its request line and headers
 *                             ({@code server.request-header-timeout-ms})
 */
public record ServerConfig(String host, int port, Duration requestHeaderTimeout) {
    static ServerConfig read(SettingReader r) {
        return new ServerConfig(r.string(Setting.HOST),
                                r.integer(Setting.PORT, 0),
                                r.millis(Setting.REQUEST_HEADER_TIMEOUT_MS, 1));
    }
}
