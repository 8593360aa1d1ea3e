// extract-rules.mjs — writes what promtool checks out of the manifests: the spec of every
// PrometheusRule (a promtool rules file as it stands) and, from each Grafana dashboard
// JSON, every panel query as a recording rule (Grafana's $__rate_interval read as 5m,
// $namespace as booking), so that `promtool check rules` parses every PromQL expression.
//
// usage: node extract-rules.mjs OUTDIR FILE...   (.yaml/.yml manifests, .json dashboards)
//   Prints one line per file written; exits 1 when a file cannot be read or holds no
//   rule and no query, 2 on a usage error. Loads yaml from $VALIDATE_NODE_DIR.
import { createRequire } from "node:module";
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(process.env.VALIDATE_NODE_DIR || join(here, ".validate-node"), "package.json"));
const YAML = require("yaml");

const [outDir, ...files] = process.argv.slice(2);
if (!outDir || !files.length) {
  console.error("usage: node extract-rules.mjs OUTDIR FILE...");
  process.exit(2);
}
mkdirSync(outDir, { recursive: true });
let failed = 0;

function panelQueries(panels, out) {
  for (const p of panels || []) {
    for (const t of p.targets || []) if (t.expr) out.push({ panel: p.title, expr: t.expr });
    panelQueries(p.panels, out);
  }
  return out;
}

for (const file of files) {
  const name = basename(file).replace(/\.[^.]+$/, "");
  if (file.endsWith(".json")) {
    const queries = panelQueries(JSON.parse(readFileSync(file, "utf8")).panels, []);
    if (!queries.length) {
      console.log(`ERROR ${file}: no panel queries`);
      failed++;
      continue;
    }
    const rules = queries.map((q, i) => ({
      record: `dashboard:${name.replace(/[^a-zA-Z0-9_]/g, "_")}:${i + 1}`,
      expr: q.expr.replaceAll("$__rate_interval", "5m").replaceAll("$namespace", "booking"),
    }));
    const out = join(outDir, `dashboard-${name}.rules.yaml`);
    writeFileSync(out, YAML.stringify({ groups: [{ name: `dashboard ${name}`, rules }] }));
    console.log(`${out}: ${rules.length} panel queries`);
    continue;
  }
  let found = 0;
  for (const doc of YAML.parseAllDocuments(readFileSync(file, "utf8"))) {
    const obj = doc.toJS();
    if (obj?.kind !== "PrometheusRule") continue;
    const out = join(outDir, `prometheusrule-${obj.metadata?.name || name}.yaml`);
    writeFileSync(out, YAML.stringify(obj.spec || {}));
    console.log(`${out}: ${(obj.spec?.groups || []).length} groups`);
    found++;
  }
  if (!found) {
    console.log(`ERROR ${file}: no PrometheusRule`);
    failed++;
  }
}
process.exit(failed ? 1 : 0);
