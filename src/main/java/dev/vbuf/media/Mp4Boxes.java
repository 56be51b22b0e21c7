package dev.vbuf.media;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Reads ISO BMFF (MP4) boxes: the one box walker used by the MP4 parser, the audio-duration counter, the player's
 * demo and the tests. A box is a 32-bit size, a four-character type, an optional 64-bit size (when the 32-bit one is
 * 1), then its body; size 0 means "to the end of the enclosing range".
 */
public final class Mp4Boxes {
    private Mp4Boxes() {
    }

    /**
     * One box within a byte array.
     *
     * @param type   its four-character type
     * @param start  offset of its header
     * @param header header length (8, or 16 with a 64-bit size)
     * @param size   total size, header included
     */
    public record Box(String type, int start, int header, long size) {
        public int bodyStart() {
            return start + header;
        }

        public int end() {
            return (int) (start + size);
        }
    }

    /** A box that does not fit: its header is cut off, or its size is impossible or runs past its range. */
    public static final class MalformedBox extends Exception {
        private final boolean truncated;

        MalformedBox(String message, boolean truncated) {
            super(message, null, false, false);
            this.truncated = truncated;
        }

        /** True when the bytes simply end too early (as opposed to a size that cannot be right). */
        public boolean truncated() {
            return truncated;
        }
    }

    /**
     * The boxes laid one after another in {@code [from, to)}, all of them, strictly.
     *
     * @throws MalformedBox with the offset and what is wrong
     */
    public static List<Box> children(byte[] d, int from, int to) throws MalformedBox {
        List<Box> boxes = new ArrayList<>();
        int off = from;
        while (off < to) {
            Box b = read(d, off, to);
            boxes.add(b);
            off = b.end();
        }
        return boxes;
    }

    /** The top-level boxes of a whole file or segment, strictly. */
    public static List<Box> topLevel(byte[] d) throws MalformedBox {
        return children(d, 0, d.length);
    }

    /** The body's child boxes of {@code parent}, strictly. */
    public static List<Box> children(byte[] d, Box parent) throws MalformedBox {
        return children(d, parent.bodyStart(), parent.end());
    }

    /**
     * The first child of the given type within {@code [from, to)}, leniently: a malformed box ends the search (as if
     * nothing followed it).
     */
    public static Optional<Box> find(byte[] d, int from, int to, String type) {
        int off = from;
        while (off < to) {
            Box b;
            try {
                b = read(d, off, to);
            } catch (MalformedBox e) {
                return Optional.empty();
            }
            if (b.type().equals(type)) {
                return Optional.of(b);
            }
            off = b.end();
        }
        return Optional.empty();
    }

    /** The first descendant along a path of types (e.g. {@code "mdia", "minf", "stbl"}), leniently. */
    public static Optional<Box> path(byte[] d, Box from, String... types) {
        Optional<Box> at = Optional.of(from);
        for (String t : types) {
            Box parent = at.get();
            at = find(d, parent.bodyStart(), parent.end(), t);
            if (at.isEmpty()) {
                return at;
            }
        }
        return at;
    }

    /** Reads the box header at {@code off}, which must fit with its whole box in {@code [off, to)}. */
    public static Box read(byte[] d, int off, int to) throws MalformedBox {
        if (off + 8 > to) {
            throw new MalformedBox("box header cut off at byte " + off, true);
        }
        long size = u32(d, off);
        String type = fourcc(d, off + 4);
        int header = 8;
        if (size == 1) {
            if (off + 16 > to) {
                throw new MalformedBox("box header cut off at byte " + off, true);
            }
            size = u64(d, off + 8);
            header = 16;
        } else if (size == 0) {
            size = to - off;
        }
        if (size < header) {
            throw new MalformedBox("box '" + printable(type) + "' at byte " + off + " declares size " + size, false);
        }
        if (size > to - off) {
            throw new MalformedBox("box '" + printable(type) + "' at byte " + off + " declares " + size
                                   + " bytes but only " + (to - off) + " are present", true);
        }
        return new Box(type, off, header, size);
    }

    /** A box of {@code type} whose body is {@code parts} one after another (the inverse of {@link #read}). */
    public static byte[] box(String type, byte[]... parts) {
        int size = 8;
        for (byte[] p : parts) {
            size += p.length;
        }
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(size).putInt(size)
                .put(type.getBytes(StandardCharsets.ISO_8859_1));
        for (byte[] p : parts) {
            b.put(p);
        }
        return b.array();
    }

    /** Unsigned 32-bit big-endian integer at {@code off}. */
    public static long u32(byte[] d, int off) {
        return ((long) (d[off] & 0xFF) << 24) | ((d[off + 1] & 0xFF) << 16) | ((d[off + 2] & 0xFF) << 8)
               | (d[off + 3] & 0xFF);
    }

    /** 64-bit big-endian size at {@code off}; one past {@code Long.MAX_VALUE} reads as the maximum (no real box is). */
    public static long u64(byte[] d, int off) {
        long v = (u32(d, off) << 32) | u32(d, off + 4);
        return v < 0 ? Long.MAX_VALUE : v;
    }

    /** The four characters at {@code off}. */
    public static String fourcc(byte[] d, int off) {
        return new String(d, off, 4, StandardCharsets.ISO_8859_1);
    }

    /** A type fit for a message: itself when printable, else {@code ?}. */
    public static String printable(String s) {
        return s.chars().allMatch(c -> c >= 0x20 && c < 0x7F) ? s : "?";
    }
}
