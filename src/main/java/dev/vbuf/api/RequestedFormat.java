package dev.vbuf.api;

import java.util.Optional;

import dev.vbuf.protocol.OutputFormat;
import dev.vbuf.protocol.Protocol;

import io.helidon.common.uri.UriQuery;

/**
 * The {@code format} query parameter of a request, read in one place for the WebSocket and the HTTP API.
 *
 * @param format the format asked for ({@link OutputFormat#DEFAULT} when the parameter is absent), or empty when
 *               the parameter names none
 * @param asked  the parameter as sent
 */
record RequestedFormat(Optional<OutputFormat> format, String asked) {
    static RequestedFormat of(UriQuery query) {
        Optional<String> v = query.first(Protocol.FORMAT_PARAM).asOptional();
        return v.isEmpty() ? new RequestedFormat(Optional.of(OutputFormat.DEFAULT), OutputFormat.DEFAULT.wireName())
                           : new RequestedFormat(OutputFormat.fromWireName(v.get()), v.get());
    }

    /** Why the request is refused (HTTP 400) when the format is unknown. */
    String unknownMessage() {
        return "unknown format '" + asked + "': expected one of " + OutputFormat.wireNames();
    }
}
