// Validates taintline's OpenAPI document with a maintained validator, then
// checks a live server's answers against the documented responses: the
// status is documented, the Content-Type is the documented one, and the
// body matches the documented schema (JSON Schema 2020-12, as OpenAPI 3.1
// says). Run by tests/test_openapi_validate.c:
//   node check.mjs BASE_URL SAMPLES.json
// SAMPLES.json: [{"method": "GET", "path": "/api/...", "status": 200, "body"?: "..."}]
import { readFileSync } from "node:fs";
import { Validator } from "@seriousme/openapi-schema-validator";
import Ajv2020 from "ajv/dist/2020.js";

const [base, samplesPath] = process.argv.slice(2);
if (!base || !samplesPath) {
	console.error("usage: node check.mjs BASE_URL SAMPLES.json");
	process.exit(2);
}
const samples = JSON.parse(readFileSync(samplesPath, "utf8"));
const doc = await (await fetch(base + "/openapi.json")).json();

const validator = new Validator();
const res = await validator.validate(doc);
if (!res.valid) {
	console.error("openapi.json is not a valid OpenAPI document:");
	console.error(JSON.stringify(res.errors, null, 1));
	process.exit(1);
}
console.log(`openapi.json: valid OpenAPI ${validator.version}, ${Object.keys(doc.paths).length} paths`);

// The components as one schema; every response schema is compiled with its
// local references pointed at it.
const ajv = new Ajv2020({ strict: false, allErrors: true });
ajv.addSchema({ $id: "doc.json", components: doc.components });
const compiled = new Map();
function schemaValidator(schema) {
	const key = JSON.stringify(schema);
	if (!compiled.has(key)) compiled.set(key, ajv.compile(JSON.parse(key.replaceAll('"#/components/', '"doc.json#/components/'))));
	return compiled.get(key);
}

// The documented template a concrete path falls under (literal segments
// win over parameters, as in the server's router).
function findTemplate(path) {
	const segs = path.split("?")[0].split("/");
	let best = null, bestScore = -1;
	for (const t of Object.keys(doc.paths)) {
		const ts = t.split("/");
		if (ts.length !== segs.length) continue;
		let score = 0, ok = true;
		for (let i = 0; i < ts.length && ok; i++) {
			if (/^\{.+\}$/.test(ts[i])) ok = segs[i].length > 0;
			else if (ts[i] === segs[i]) score++;
			else ok = false;
		}
		if (ok && score > bestScore) { best = t; bestScore = score; }
	}
	return best;
}

function resolve(obj) {
	while (obj && obj.$ref) {
		obj = obj.$ref.replace(/^#\//, "").split("/").reduce((o, k) => o[k.replaceAll("~1", "/").replaceAll("~0", "~")], doc);
	}
	return obj;
}

let passed = 0, failed = 0;
for (const s of samples) {
	const what = `${s.method} ${s.path}`;
	const fail = (msg) => { failed++; console.log(`FAIL ${what}: ${msg}`); };
	const tmpl = findTemplate(s.path);
	const op = tmpl && doc.paths[tmpl][s.method.toLowerCase()];
	if (!op) { fail("not documented"); continue; }
	const r = await fetch(base + s.path, { method: s.method, body: s.body, headers: s.body ? { "Content-Type": "application/json" } : {} });
	const bytes = Buffer.from(await r.arrayBuffer());
	if (r.status !== s.status) { fail(`status ${r.status}, expected ${s.status}: ${bytes.toString().slice(0, 200)}`); continue; }
	const response = resolve(op.responses[String(r.status)]);
	if (!response) { fail(`status ${r.status} not documented under ${tmpl}`); continue; }
	const ctype = (r.headers.get("content-type") || "").split(";")[0];
	if (!response.content) {
		if (bytes.length) fail(`a body where ${tmpl} documents none`); else passed++;
		continue;
	}
	const media = response.content[ctype];
	if (!media) { fail(`Content-Type ${ctype}, documented: ${Object.keys(response.content).join(", ")}`); continue; }
	let value;
	if (ctype === "application/json") {
		try { value = JSON.parse(bytes.toString("utf8")); } catch (e) { fail(`not JSON: ${e.message}`); continue; }
	} else if (ctype.startsWith("text/")) {
		value = bytes.toString("utf8");
	} else {
		if (!bytes.length) fail("empty body"); else passed++;
		continue;
	}
	const validate = schemaValidator(media.schema);
	if (!validate(value)) { fail(`does not match the ${tmpl} schema: ${ajv.errorsText(validate.errors)}`); continue; }
	passed++;
	console.log(`ok   ${what} -> ${r.status} ${ctype} (${tmpl})`);
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
