// Validates schema_json's output with ajv (strict: false, allErrors, ajv-formats).
// usage: node schema_ajv_test.cjs SCHEMAS.json OUTPUT NODE_DIR [allow-too-large]
// OUTPUT holds "INDEX<TAB>JSON" lines (build/schema-json-cli); one check per schema: every line
// for it parses and validates ("!too_large" lines count as valid only with allow-too-large).
// Draft-2020 first (prefixItems), draft-07 when the 2020 meta-schema refuses the schema (items
// as an array); draft-04 boolean exclusive bounds are rewritten to their numeric form first.
// Ends with "ajv: P passed, F failed".
'use strict';
const fs = require('fs');
const path = require('path');
const [schemasFile, outFile, nodeDir, mode] = process.argv.slice(2);
const req = (m) => require(path.resolve(nodeDir, 'node_modules', m));
const Ajv2020 = req('ajv/dist/2020').default;
const Ajv07 = req('ajv').default;
const addFormats = req('ajv-formats').default;

function draft4(s) {
  if (Array.isArray(s)) return s.map(draft4);
  if (s === null || typeof s !== 'object') return s;
  const o = {};
  for (const [k, v] of Object.entries(s)) o[k] = k === 'enum' || k === 'const' ? v : draft4(v);
  if (typeof o.$schema === 'string' && o.$schema.includes('draft-04')) delete o.$schema;  // rewritten below
  for (const [b, x] of [['minimum', 'exclusiveMinimum'], ['maximum', 'exclusiveMaximum']]) {
    if (typeof o[x] === 'boolean') {
      if (o[x]) o[x] = o[b], delete o[b];
      else delete o[x];
    }
  }
  return o;
}
function compile(schema) {
  const opts = { strict: false, allErrors: true };
  try {
    const a = new Ajv2020(opts);
    addFormats(a);
    return a.compile(schema);
  } catch (e) {
    const a = new Ajv07(opts);
    addFormats(a);
    return a.compile(schema);
  }
}

const schemas = JSON.parse(fs.readFileSync(schemasFile, 'utf8'));
const lines = new Map();
for (const line of fs.readFileSync(outFile, 'utf8').split('\n')) {
  if (!line) continue;
  const tab = line.indexOf('\t');
  const i = Number(line.slice(0, tab));
  if (!lines.has(i)) lines.set(i, []);
  lines.get(i).push(line.slice(tab + 1));
}
let P = 0, F = 0;
schemas.forEach((schema, i) => {
  const name = `schema ${i}${schema && schema.title ? ' (' + schema.title + ')' : ''}`;
  const got = lines.get(i) || [];
  let validate;
  try {
    validate = compile(draft4(schema));
  } catch (e) {
    F++;
    console.log(`FAIL - ${name}: ajv compiles it (${e.message})`);
    return;
  }
  let bad = null, n = 0;
  for (const text of got) {
    if (text === '!too_large' && mode === 'allow-too-large') { n++; continue; }
    let v;
    try { v = JSON.parse(text); } catch (e) { bad = `not JSON: ${text.slice(0, 200)}`; break; }
    if (!validate(v)) { bad = `${JSON.stringify(validate.errors).slice(0, 400)} for ${text.slice(0, 300)}`; break; }
    n++;
  }
  if (got.length === 0) bad = 'no output';
  if (bad) {
    F++;
    console.log(`FAIL - ${name}: every value validates (${bad})`);
  } else {
    P++;
    console.log(`ok - ${name}: ${n}/${got.length} values validate`);
  }
});
console.log(`ajv: ${P} passed, ${F} failed`);
