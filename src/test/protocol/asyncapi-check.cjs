// Parses and validates an AsyncAPI document with @asyncapi/parser (the AsyncAPI initiative's own parser: the spec's
// JSON Schema, its semantic rules, $refs into other files, message examples against their payloads).
// Prints {"valid": bool, "diagnostics": [{severity, code, message, path}], "messages": [...], "channels": [...]}
// and exits 0 when the document is valid (no error diagnostics), 1 otherwise. Used by ProtocolDocumentsTest.
// Usage: NODE_PATH=<dir with node_modules> node asyncapi-check.cjs <document>
const path = require("path");
const { Parser, fromFile } = require("@asyncapi/parser");

const SEVERITY = ["error", "warning", "info", "hint"];

async function main() {
  const file = path.resolve(process.argv[2]);
  const { document, diagnostics } = await fromFile(new Parser(), file).parse();
  const out = {
    valid: document !== undefined && !diagnostics.some((d) => d.severity === 0),
    diagnostics: diagnostics.map((d) => ({
      severity: SEVERITY[d.severity] || String(d.severity),
      code: String(d.code),
      message: d.message,
      path: d.path.join("/"),
    })),
    messages: document ? document.allMessages().all().map((m) => m.id()) : [],
    channels: document ? document.allChannels().all().map((c) => c.address()) : [],
  };
  process.stdout.write(JSON.stringify(out) + "\n");
  process.exit(out.valid ? 0 : 1);
}

main().catch((e) => {
  process.stderr.write(String(e && e.stack ? e.stack : e) + "\n");
  process.exit(2);
});
