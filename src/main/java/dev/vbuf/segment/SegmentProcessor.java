package dev.vbuf.segment;

import dev.vbuf.core.SegmentException;
import dev.vbuf.core.SegmentAudio;
import dev.vbuf.protocol.ErrorCode;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

import dev.vbuf.admission.SegmentGate;
import dev.vbuf.ffmpeg.FfmpegBinary;
import dev.vbuf.ffmpeg.FfmpegCommand;
import dev.vbuf.ffmpeg.FfmpegProcess;
import dev.vbuf.gapless.GaplessPlan;
import dev.vbuf.gapless.GaplessPlanner;
import dev.vbuf.gapless.SessionCarries;
import dev.vbuf.log.Logs;
import dev.vbuf.media.AudioDuration;
import dev.vbuf.media.ParsedSegment;
import dev.vbuf.media.SegmentParser;
import dev.vbuf.protocol.OutputFormat;
import dev.vbuf.protocol.Protocol;
import dev.vbuf.observe.VbufMetrics;
import dev.vbuf.process.ProcessRunner;

/**
 * The path of one segment once its bytes are all in: parse (once) → admit → one FFmpeg process → audio, or a
 * {@link SegmentException} whose code says what went wrong. Shared by the WebSocket and HTTP APIs. For protocol v1.1
 * the parse also plans the segment's placement ({@link #plan}), and the plan is followed through FFmpeg and the trim.
 */
public final class SegmentProcessor {
    private static final System.Logger LOG = System.getLogger(SegmentProcessor.class.getName());
    private static final Pattern NO_AUDIO = Pattern.compile(
            "matches no streams|does not contain any stream|Output file #?\\d* ?does not contain any stream",
            Pattern.CASE_INSENSITIVE);
    private static final Pattern LOG_PREFIX = Pattern.compile("^\\[[^]]*@ 0x[0-9a-f]+] ");
    /** Exit statuses of a process ended by a signal (128 + SIGABRT/SIGKILL/SIGSEGV/SIGTERM). */
    private static final List<Integer> SIGNALLED = List.of(134, 137, 139, 143);

    private final FfmpegBinary ffmpeg;
    private final SegmentGate gate;
    private final Duration targetLatency;
    private final Duration ffmpegTimeout;
    private final int maxSegmentBytes;
    private final int maxOutputBytes;
    private final VbufMetrics metrics;
    /** The processes this processor runs, to kill at shutdown (the gate owns the count of running segments). */
    private final Set<Process> live = ProcessRunner.newLiveSet();

    public SegmentProcessor(FfmpegBinary ffmpeg, SegmentGate gate, Duration targetLatency, Duration ffmpegTimeout,
                            int maxSegmentBytes, int maxOutputBytes, VbufMetrics metrics) {
        this.ffmpeg = ffmpeg;
        this.gate = gate;
        this.targetLatency = targetLatency;
        this.ffmpegTimeout = ffmpegTimeout;
        this.maxSegmentBytes = maxSegmentBytes;
        this.maxOutputBytes = maxOutputBytes;
        this.metrics = metrics;
    }

    public int maxSegmentBytes() {
        return maxSegmentBytes;
    }

    /** Kills every FFmpeg process this processor is running (shutdown). */
    public void killAll() {
        ProcessRunner.killAll(live);
    }

    /** The error for a segment over the size limit (its bytes were discarded as they arrived). */
    public SegmentException tooLarge(long size) {
        return new SegmentException(ErrorCode.TOO_LARGE,
                                    "segment of " + size + " bytes exceeds the limit of " + maxSegmentBytes
                                    + " bytes");
    }

    /**
     * Extracts the audio of one segment.
     *
     * @param segment      the whole segment
     * @param format       the wanted output
     * @param arrivalNanos {@link System#nanoTime()} when its last byte arrived (the latency budget starts there)
     * @throws InterruptedException the caller went away; any FFmpeg process has been killed
     */
    public SegmentAudio process(byte[] segment, OutputFormat format, long arrivalNanos)
            throws SegmentException, InterruptedException {
        return process(segment, segment.length, format, arrivalNanos);
    }

    /**
     * Extracts the audio of the segment in {@code buffer[0, length)} (a pooled buffer may be longer).
     *
     * @throws InterruptedException the caller went away; any FFmpeg process has been killed
     */
    public SegmentAudio process(byte[] buffer, int length, OutputFormat format, long arrivalNanos)
            throws SegmentException, InterruptedException {
        checkSize(length);
        FfmpegRun run = run(buffer, length, format, arrivalNanos, SegmentParser.inspect(buffer, length), null);
        return toAudio(format, run.result(), run.queued(), -1);
    }

    /**
     * Protocol v1.1, on the session's reading thread (so the next segment finds this one's carry even while this
     * one is still being processed): parses the segment in {@code buffer[0, length)} once and plans where its audio
     * sits and its pre-roll. The carry is the client's when {@code message} has one, else the one {@code carries}
     * kept for the PTS the segment starts at. Never throws: what the parse refused is answered by
     * {@link #process(PlannedSegment, long)}, and a segment that cannot be planned is processed as in v1.
     *
     * @param message the segment message that came before it, or null
     * @param log     the session's fault log
     */
    public PlannedSegment plan(byte[] buffer, int length, OutputFormat format, Protocol.SegmentMessage message,
                               SessionCarries carries, FaultLog log) {
        if (length > maxSegmentBytes) {
            return new PlannedSegment(buffer, length, format, null, null, null);
        }
        ParsedSegment parsed;
        try {
            parsed = SegmentParser.parse(buffer, length);
        } catch (SegmentException | RuntimeException e) {
            return new PlannedSegment(buffer, length, format, null, e, null);
        }
        GaplessPlan plan = null;
        try {
            plan = parsed.audio().map(a -> GaplessPlanner.plan(a, format, message, carries)).orElse(null);
        } catch (RuntimeException e) {
            // a crafted segment can get here: a client's fault, logged once per session and without a trace
            log.clientFault(LOG, "could not plan a segment's placement (it is answered as in v1)", e);
        }
        return new PlannedSegment(buffer, length, format, parsed, null, plan);
    }

    /**
     * Protocol v1.1: extracts the audio of a planned segment as {@link #process} does, following its plan (its
     * pre-roll in front of the segment on the same stdin, the input's timestamps kept, pcm trimmed to the plan's
     * samples) and says where the audio sits. Without a plan it is {@link #process}, on the one parse.
     *
     * @throws InterruptedException the caller went away; any FFmpeg process has been killed
     */
    public SegmentAudio process(PlannedSegment segment, long arrivalNanos) throws SegmentException,
                                                                                 InterruptedException {
        checkSize(segment.length);
        GaplessPlan plan = segment.plan;
        FfmpegRun run = run(segment.buffer, segment.length, segment.format, arrivalNanos, segment.parsed(), plan);
        if (plan == null) {
            return toAudio(segment.format, run.result(), run.queued(), -1);
        }
        return plan.place(toAudio(segment.format, run.result(), run.queued(), plan.knownAudioMicros(segment.format)));
    }

    /** What one admitted FFmpeg run produced, and how long the segment waited for its permit. */
    private record FfmpegRun(FfmpegProcess.Result result, Duration queued) {
    }

    private void checkSize(int length) throws SegmentException {
        if (length > maxSegmentBytes) {
            throw tooLarge(length);
        }
    }

    /**
     * Waits for a permit and runs FFmpeg on a parsed segment: the path every segment takes. With a v1.1 plan, its
     * pre-roll goes into the segment on stdin where the plan says and the input's timestamps are kept.
     */
    private FfmpegRun run(byte[] buffer, int length, OutputFormat format, long arrivalNanos, ParsedSegment parsed,
                          GaplessPlan plan) throws SegmentException, InterruptedException {
        List<String> command = plan == null
                ? FfmpegCommand.extractAudio(ffmpeg.executable().toString(), parsed.container(),
                                             parsed.audioIsAac(), format)
                : FfmpegCommand.extractAudio(ffmpeg.executable().toString(), parsed.container(),
                                             parsed.audioIsAac(), format, true, plan.audioFilter());
        byte[] preroll = plan == null ? new byte[0] : plan.preroll();
        int at = plan == null ? 0 : plan.prerollAt();
        try (SegmentGate.Permit permit = admit(arrivalNanos)) {
            FfmpegProcess.Result result;
            try {
                result = FfmpegProcess.run(command, preroll, at, buffer, length, ffmpegTimeout, maxOutputBytes, live);
                if (result.stop() == ProcessRunner.Stop.NONE && FfmpegCommand.probeFoundNoAudio(
                        command, result.exitCode(), result.output().length, result.stderrTail())) {
                    // audio that starts past the limited probe: once more with FFmpeg's default probe
                    result = FfmpegProcess.run(FfmpegCommand.withDefaultProbe(command), preroll, at, buffer, length,
                                               ffmpegTimeout, maxOutputBytes, live);
                }
            } catch (IOException e) {
                throw new SegmentException(ErrorCode.INTERNAL, "could not start FFmpeg: " + e.getMessage());
            }
            metrics.ffmpegRan(result.wall());
            return new FfmpegRun(result, permit.queued());
        }
    }

    /** A permit, or the gate's refusal in the protocol's words: {@code overloaded} with a retry-after. */
    private SegmentGate.Permit admit(long arrivalNanos) throws SegmentException, InterruptedException {
        try {
            return gate.admit(arrivalNanos, targetLatency);
        } catch (SegmentGate.Refused r) {
            throw overloaded(r);
        }
    }

    /**
     * The answer to a segment the gate refused: {@code shutting_down} while the server drains (a v1 session says it
     * as {@code overloaded}), {@code overloaded} otherwise; both with a retry-after.
     */
    public static SegmentException overloaded(SegmentGate.Refused r) {
        if (r.reason() == SegmentGate.Reason.DRAINING) {
            return new SegmentException(ErrorCode.SHUTTING_DOWN, "server is shutting down; reconnect and send the"
                                                                 + " segment again", r.retryAfter().toMillis());
        }
        return new SegmentException(ErrorCode.OVERLOADED, "overloaded: " + r.getMessage(), r.retryAfter().toMillis());
    }

    /**
     * One session's log of faults in its segments' path. A client can send any number of crafted segments, so each
     * kind of fault is logged once per session and every later one at DEBUG: a client's fault at WARNING without a
     * stack trace (its input, not a server error; the trace is at DEBUG), a server's at ERROR with its trace.
     */
    public static final class FaultLog {
        private static final String ONCE = " (logged once per session; later ones at DEBUG)";

        private final String session;
        private final Set<String> seen = ConcurrentHashMap.newKeySet();

        public FaultLog(String session) {
            this.session = session;
        }

        public String session() {
            return session;
        }

        /** A fault of the client's input: {@code what} and the failure's class and message. */
        public void clientFault(System.Logger logger, String what, Throwable e) {
            if (firstTime(logger, -1, what, e)) {
                Logs.log(logger, Level.WARNING, session, -1, what + ": " + e + ONCE);
                Logs.log(logger, Level.DEBUG, session, -1, what, e);
            }
        }

        /** A fault on the server's side while it worked on segment {@code seq}: logged with its trace. */
        public void serverFault(System.Logger logger, long seq, String what, Throwable e) {
            if (firstTime(logger, seq, what, e)) {
                Logs.log(logger, Level.ERROR, session, seq, what + ": " + e + ONCE, e);
            }
        }

        /** True the first time {@code what} happens in the session; later times are logged here, at DEBUG. */
        private boolean firstTime(System.Logger logger, long seq, String what, Throwable e) {
            if (seen.add(what)) {
                return true;
            }
            Logs.log(logger, Level.DEBUG, session, seq, what + " again: " + e);
            return false;
        }
    }

    private SegmentAudio toAudio(OutputFormat format, FfmpegProcess.Result r, Duration queued, long knownAudioUs)
            throws SegmentException {
        switch (r.stop()) {
            case DEADLINE -> throw new SegmentException(ErrorCode.TIMEOUT, "FFmpeg did not finish within "
                                                                           + ffmpegTimeout.toMillis() + " ms");
            case OUTPUT_CAP -> throw new SegmentException(ErrorCode.TOO_LARGE, "the audio of this segment exceeds "
                                                                               + maxOutputBytes + " bytes");
            case NONE -> { }
        }
        String stderr = r.stderrTail();
        if (NO_AUDIO.matcher(stderr).find()) {
            throw new SegmentException(ErrorCode.NO_AUDIO, "the segment has no audio stream");
        }
        if (SIGNALLED.contains(r.exitCode())) {
            throw new SegmentException(ErrorCode.INTERNAL, "FFmpeg was killed by signal " + (r.exitCode() - 128));
        }
        if (r.exitCode() != 0) {
            throw new SegmentException(ErrorCode.INVALID_MEDIA, "FFmpeg could not read the segment (exit "
                                                                + r.exitCode() + "): " + summary(stderr));
        }
        long audioUs = r.output().length == 0 ? 0 : knownAudioUs >= 0 ? knownAudioUs : audioMicros(format, r);
        if (audioUs == 0) { // nothing, or only headers (an fMP4 init segment sent on its own)
            throw new SegmentException(ErrorCode.INVALID_MEDIA, "FFmpeg produced no audio from the segment"
                                                                + (stderr.isBlank() ? "" : ": " + summary(stderr)));
        }
        long audioMs = audioUs / 1000;
        return new SegmentAudio(format, r.output(), audioMs, r.wall(), queued);
    }

    /**
     * How much audio the output holds: counted from the output itself for {@code aac} and {@code fmp4} (FFmpeg's
     * {@code out_time} is 0 for a short stream copy from MPEG-TS), from its size for {@code pcm}, from FFmpeg's
     * {@code out_time} for {@code webm} (always encoded, where it is exact).
     */
    private static long audioMicros(OutputFormat format, FfmpegProcess.Result r) {
        OptionalLong counted = switch (format) {
            case AAC -> AudioDuration.adtsMicros(r.output());
            case FMP4 -> AudioDuration.fmp4Micros(r.output());
            case PCM -> OptionalLong.of(r.output().length * 1_000_000L
                                                  / ((long) OutputFormat.PCM_SAMPLE_RATE * OutputFormat.PCM_CHANNELS
                                                     * OutputFormat.PCM_BYTES_PER_SAMPLE));
            case WEBM -> OptionalLong.empty();
        };
        return counted.orElse(Math.max(0, r.outTimeUs()));
    }

    /** The most telling stderr lines, without FFmpeg's pointer prefixes, at most 300 characters. */
    static String summary(String stderr) {
        StringBuilder sb = new StringBuilder();
        for (String line : stderr.split("\n")) {
            String l = LOG_PREFIX.matcher(line.strip()).replaceFirst("");
            if (l.isEmpty() || l.toLowerCase(Locale.ROOT).startsWith("consider increasing")) {
                continue;
            }
            if (!sb.isEmpty()) {
                sb.append("; ");
            }
            sb.append(l);
            if (sb.length() > 300) {
                return sb.substring(0, 300) + "…";
            }
        }
        return sb.isEmpty() ? "no detail from FFmpeg" : sb.toString();
    }
}
