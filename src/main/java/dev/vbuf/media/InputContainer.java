package dev.vbuf.media;

/** The segment containers vbuf accepts, each with the one FFmpeg demuxer it is allowed to use. */
public enum InputContainer {
    MPEG_TS("mpegts"),
    MP4("mp4"),
    MATROSKA("matroska");

    private final String demuxer;

    InputContainer(String demuxer) {
        this.demuxer = demuxer;
    }

    /** The demuxer forced with {@code -f} so FFmpeg never probes (and never reaches playlist or concat demuxers). */
    public String demuxer() {
        return demuxer;
    }
}
