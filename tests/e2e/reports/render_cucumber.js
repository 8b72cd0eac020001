// Render an iotmark cucumber.json with cucumber-html-reporter (a standard
// Cucumber HTML reporter) and check every scenario of the JSON shows in the
// page with its status counted.
//
// usage: node render_cucumber.js CUCUMBER_JSON OUT_HTML
'use strict';

const fs = require('fs');
const reporter = require('cucumber-html-reporter');

const [input, output] = process.argv.slice(2);
if (!input || !output) {
  console.error('usage: node render_cucumber.js CUCUMBER_JSON OUT_HTML');
  process.exit(2);
}

const features = JSON.parse(fs.readFileSync(input, 'utf8'));
if (!Array.isArray(features) || features.length === 0) {
  console.error(`${input}: no features`);
  process.exit(1);
}

reporter.generate({
  theme: 'bootstrap',
  jsonFile: input,
  output,
  reportSuiteAsScenarios: true,
  scenarioTimestamp: false,
  launchReport: false,
  metadata: { 'Produced by': 'iotmark' },
});

// The reporter writes the page synchronously; read it back.
const html = fs.readFileSync(output, 'utf8');
const escape = (s) =>
  s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');

let scenarios = 0;
const missing = [];
for (const feature of features) {
  if (!html.includes(escape(feature.name))) {
    missing.push(`feature "${feature.name}"`);
  }
  for (const element of feature.elements || []) {
    scenarios += 1;
    if (!html.includes(escape(element.name))) {
      missing.push(`scenario "${element.name}"`);
    }
  }
}
if (missing.length > 0) {
  console.error(`${output}: ${missing.length} missing from the rendered page:`);
  for (const m of missing) console.error(`  ${m}`);
  process.exit(1);
}
console.log(`${output}: ${features.length} features, ${scenarios} scenarios rendered`);
