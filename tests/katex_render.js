// Render LaTeX strings with the KaTeX that ships in the package (SPEC §9),
// in strict mode, the way the web page does: used by tests/test_katex.py.
//
//   node tests/katex_render.js path/to/katex.min.js  < strings.json  > errors.json
//
// stdin: a JSON list of strings; stdout: a JSON list as long, null where the
// string renders, else KaTeX's message.
"use strict";

const fs = require("fs");
const path = require("path");

const katex = require(path.resolve(process.argv[2]));
const strings = JSON.parse(fs.readFileSync(0, "utf8"));
const errors = strings.map((latex) => {
  try {
    katex.renderToString(latex, { displayMode: true, strict: "error", throwOnError: true });
    return null;
  } catch (error) {
    return String(error && error.message ? error.message : error);
  }
});
process.stdout.write(JSON.stringify(errors));
