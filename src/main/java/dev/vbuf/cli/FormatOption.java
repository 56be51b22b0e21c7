package dev.vbuf.cli;

import java.util.Arrays;
import java.util.Iterator;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import dev.vbuf.protocol.OutputFormat;

import picocli.CommandLine.Option;

/**
 * {@code --format NAME}, the output format a command asks the server for. The names, their list in the help and the
 * check of a wrong one all come from {@link OutputFormat}. The field's initial value is the default picocli applies and
 * shows: {@link OutputFormat#DEFAULT}, or what a command gives {@link #defaultingTo}.
 */
public final class FormatOption {
    @Option(names = "--format", converter = FormatConverter.class, completionCandidates = Names.class,
            description = "${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE})")
    OutputFormat format = OutputFormat.DEFAULT;

    /** The option with another default (picocli uses a mixin field's own instance when it is set). */
    public static FormatOption defaultingTo(OutputFormat format) {
        FormatOption option = new FormatOption();
        option.format = format;
        return option;
    }

    public OutputFormat format() {
        return format;
    }

    /** The formats' wire names, for the option's help. */
    static final class Names implements Iterable<String> {
        @Override
        public Iterator<String> iterator() {
            return Arrays.stream(OutputFormat.values()).map(OutputFormat::wireName).iterator();
        }
    }

    /** The formats for a usage line, the default first: {@code fmp4|aac|webm|pcm}. */
    public static String usageChoices() {
        return Stream.concat(Stream.of(OutputFormat.DEFAULT),
                             Arrays.stream(OutputFormat.values()).filter(f -> f != OutputFormat.DEFAULT))
                .map(OutputFormat::wireName).collect(Collectors.joining("|"));
    }
}
