package dev.vbuf.cli;

import dev.vbuf.protocol.OutputFormat;

import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** {@code --format NAME} on the command line, with the list of valid names when it is wrong. */
final class FormatConverter implements ITypeConverter<OutputFormat> {
    @Override
    public OutputFormat convert(String value) {
        return OutputFormat.fromWireName(value).orElseThrow(() -> new TypeConversionException(
                "unknown format '" + value + "': expected one of " + OutputFormat.wireNames()));
    }
}
