#!/usr/bin/env node
// Validates STIX 2.1 bundles against the OASIS STIX 2.1 JSON schemas and,
// for the cryptocurrency-wallet / cryptocurrency-transaction objects, the
// community extension's schemas (both read from SHARING_DIR, the reference
// data folder with stix2.1-json-schemas/ and stix-crypto-extension/).
//   node validate-stix.js SHARING_DIR BUNDLE.json...
// Exit: 0 all valid, 1 an object is invalid (each error printed), 2 usage
// or unreadable input, 77 the schemas or ajv are absent (a skipped test).
'use strict';
const fs = require('fs');
const path = require('path');

let Ajv2020, addFormats;
try {
  Ajv2020 = require('ajv/dist/2020').default;
  addFormats = require('ajv-formats').default;
} catch (e) {
  console.error('ajv is not installed (npm ci in tests/tools): skipped');
  process.exit(77);
}

if (process.argv.length < 4) {
  console.error('usage: node validate-stix.js SHARING_DIR BUNDLE.json...');
  process.exit(2);
}
const dir = process.argv[2];
const oasisDir = path.join(dir, 'stix2.1-json-schemas', 'schemas');
const extDir = path.join(dir, 'stix-crypto-extension', 'schemas', 'scos');
if (!fs.existsSync(oasisDir) || !fs.existsSync(extDir)) {
  console.error(`schemas not found under ${dir}: skipped`);
  process.exit(77);
}

// The extension's schemas name the OASIS ones by their "master" URLs, the
// OASIS schemas name themselves by "stix2.1" URLs: register every OASIS
// schema under both.
const OASIS_ID = 'http://raw.githubusercontent.com/oasis-open/cti-stix2-json-schemas/stix2.1/schemas/';
const OASIS_ALIAS = 'https://raw.githubusercontent.com/oasis-open/cti-stix2-json-schemas/master/schemas/';
const ajv = new Ajv2020({ strict: false, allErrors: true, unicodeRegExp: false }) // the OASIS patterns escape '-', which the u flag rejects;
addFormats(ajv);
// domain-name's format, which ajv-formats lacks; taintline exports no domain names
ajv.addFormat('idn-hostname', true);
const byType = {};
for (const sub of ['common', 'sdos', 'sros', 'observables']) {
  for (const f of fs.readdirSync(path.join(oasisDir, sub)).sort()) {
    if (!f.endsWith('.json')) continue;
    const schema = JSON.parse(fs.readFileSync(path.join(oasisDir, sub, f), 'utf8'));
    ajv.addSchema(schema);
    const alias = JSON.parse(JSON.stringify(schema));
    alias.$id = OASIS_ALIAS + sub + '/' + f;
    ajv.addSchema(alias);
    if (sub !== 'common') byType[f.replace(/\.json$/, '')] = schema.$id;
  }
}
byType['marking-definition'] = OASIS_ID + 'common/marking-definition.json';
byType['extension-definition'] = OASIS_ID + 'common/extension-definition.json';
for (const f of fs.readdirSync(extDir).sort()) {
  if (!f.endsWith('.json')) continue;
  const schema = JSON.parse(fs.readFileSync(path.join(extDir, f), 'utf8'));
  const id = 'urn:taintline:ext:' + f;
  ajv.addSchema(schema, id);
  byType[f.replace(/\.json$/, '')] = id;
}

let bad = 0;
function report(what, errors) {
  if (++bad > 20) return;
  for (const e of errors.slice(0, 5))
    console.log(`${what}: ${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`);
}
for (const file of process.argv.slice(3)) {
  let bundle;
  try {
    bundle = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    console.error(`${file}: ${e.message}`);
    process.exit(2);
  }
  // The bundle's own properties; its objects are checked one by one below
  // against their type's schema (the bundle schema's anyOf over every type
  // takes minutes on thousands of objects and names no useful error).
  const vb = ajv.getSchema(OASIS_ID + 'common/bundle.json');
  const shell = Object.assign({}, bundle, { objects: (bundle.objects || []).slice(0, 1) });
  if (!vb(shell)) report(`${file}: bundle`, vb.errors);
  const counts = {};
  for (const [i, o] of (bundle.objects || []).entries()) {
    const sid = byType[o.type];
    if (!sid) {
      report(`${file}: objects[${i}] (${o.type})`, [{ instancePath: '', message: 'no schema for this type', params: {} }]);
      continue;
    }
    const v = ajv.getSchema(sid);
    if (!v(o)) report(`${file}: objects[${i}] ${o.id}`, v.errors);
    counts[o.type] = (counts[o.type] || 0) + 1;
  }
  console.log(`${file}: ${(bundle.objects || []).length} objects checked ` + JSON.stringify(counts));
}
if (bad) console.log(`${bad} invalid`);
process.exit(bad ? 1 : 0);
