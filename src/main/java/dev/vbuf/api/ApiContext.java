package dev.vbuf.api;

import java.util.function.BooleanSupplier;

import dev.vbuf.access.AccessPolicy;
import dev.vbuf.admission.SegmentBuffers;
import dev.vbuf.observe.VbufMetrics;
import dev.vbuf.segment.SegmentProcessor;

/**
 * What protocol v1's handlers share within one server, handed to them by the server (never looked up).
 *
 * @param processor  the path of one segment
 * @param sessions   the open WebSocket sessions
 * @param unanswered segments received and not answered yet
 * @param metrics    this server's meters
 * @param access     who may connect, and how much a session may send
 * @param perSession segments of one session in progress at once
 * @param draining   whether the server is shutting down (owned by the admission gate)
 * @param buffers    the memory WebSocket segments are read into, under the global budget
 */
record ApiContext(SegmentProcessor processor, SessionRegistry sessions, Unanswered unanswered, VbufMetrics metrics,
                  AccessPolicy access, int perSession, BooleanSupplier draining, SegmentBuffers buffers) {
}
