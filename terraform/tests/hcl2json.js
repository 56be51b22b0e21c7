// Prints every .tf file of a directory as JSON ({"file.tf": {...}}), parsed with @cdktf/hcl2json.
// Used by MonitoringAsCodeTest: there is no Terraform binary here, so the structure is checked from the parse.
// Usage: NODE_PATH=<dir with node_modules> node hcl2json.js <terraform dir>
const fs = require("fs");
const path = require("path");
const { parse } = require("@cdktf/hcl2json");

async function main() {
  const dir = process.argv[2];
  const out = {};
  for (const name of fs.readdirSync(dir).filter((f) => f.endsWith(".tf")).sort()) {
    out[name] = await parse(name, fs.readFileSync(path.join(dir, name), "utf8"));
  }
  process.stdout.write(JSON.stringify(out));
}

main().catch((e) => {
  process.stderr.write(String(e && e.message ? e.message : e) + "\n");
  process.exit(1);
});
