// matcalc's page: the form <-> the query string <-> GET /api/derive, the answer typeset by KaTeX.
"use strict";

const FIELDS = ["expr", "wrt", "where", "kind", "method", "layout", "input", "compare", "code"];
const $ = (id) => document.getElementById(id);

function math(tex, display) {
  const span = document.createElement("span");
  katex.render(tex, span, { displayMode: display, throwOnError: false });
  return span;
}

function cell(row, className, content) {
  const td = row.insertCell();
  td.className = className;
  if (content) td.append(content);
  return td;
}

function queryFromForm() {
  const query = new URLSearchParams();
  for (const name of FIELDS) if ($(name).value.trim()) query.set(name, $(name).value.trim());
  if ($("check").checked) query.set("check", "1");
  return query;
}

function formFromQuery(query) {
  for (const name of FIELDS) if (query.has(name)) $(name).value = query.get(name);
  $("check").checked = !query.has("expr") || query.get("check") === "1";
}

function showSteps(table, steps) {
  table.replaceChildren();
  let previous = null;
  for (const step of steps) {
    const row = table.insertRow();
    row.className = "step";
    const relation = step.relation_latex || "=";
    const shown = step.lhs_latex !== previous || step.restates;
    cell(row, "lhs", shown ? math("\\displaystyle " + step.lhs_latex, false) : null);
    previous = step.lhs_latex;
    cell(row, "expr", math("\\displaystyle " + relation + " " + step.latex, false));
    const rules = cell(row, "rule");
    step.rules.forEach((name, i) => {
      const span = document.createElement("span");
      span.className = "rule";
      span.textContent = name;
      rules.append(...(i ? [", ", span] : [span]));
    });
  }
}

function showEquations(table, equations) {
  table.replaceChildren();
  for (const equation of equations) {
    const row = table.insertRow();
    row.className = "equation";
    cell(row, "lhs", math("\\displaystyle " + equation.label.latex, false));
    cell(row, "expr", math("\\displaystyle = " + equation.latex, false));
  }
}

function answerTex(data) {
  if (data.equations) {       // a backward pass: every gradient asked for
    return Object.values(data.gradients).map((g) => `${g.label.latex} = ${g.latex}`).join(" \\qquad ");
  }
  return `${data.label.latex} = ${data.answer.named_latex}`;
}

function showResult(data) {
  $("answer").replaceChildren(math(answerTex(data), true));
  if (data.names && data.names.length) {   // every name the answer uses is defined on the page
    const where = data.names.map((n) => `${n.latex_name} = ${n.latex}`).join(",\\ ");
    $("answer").append(math(`\\text{where } ${where}`, true));
    // one answer: then written out (a backward pass has its equations below)
    if (!data.equations) $("answer").append(math(`${data.label.latex} = ${data.answer.latex}`, true));
  }
  const check = $("check-result");
  check.className = "";
  check.textContent = "";
  if (data.check) {
    const error = data.check.max_relative_error;
    check.className = data.check.ok ? "ok" : "bad";
    check.textContent = error === null ? "check: MISMATCH (the difference is not finite)"
      : `check: max relative error ${error.toExponential(1)} vs finite differences (${data.check.ok ? "ok" : "MISMATCH"})`;
  }
  showComparison(data.compare);
  $("shapes").textContent = "shapes  " + Object.entries(data.shapes)
    .map(([name, [rows, cols]]) => `${name}: ${cols === "1" ? (rows === "1" ? "scalar" : rows) : rows + "×" + cols}`)
    .join("   ");
  $("warnings").replaceChildren(...(data.warnings || []).map((text) => {
    const item = document.createElement("li");
    item.textContent = "warning: " + text;
    return item;
  }));
  $("equations-section").hidden = !data.equations;
  if (data.equations) showEquations($("equations"), data.equations);
  showSteps($("steps"), data.steps || []);
  $("latex").value = data.latex;
  $("code-text").textContent = data.code ? (data.code.text || data.code.error) : "";
  $("result").hidden = false;
}

function showComparison(verdict) {   // the verdict on "my answer" (SPEC §10)
  const shown = $("compare-result");
  shown.hidden = !verdict;
  if (!verdict) return;
  shown.className = verdict.equal ? "ok" : "bad";
  shown.textContent = verdict.text;
}

async function derive(query) {
  $("status").textContent = "deriving…";
  $("error").hidden = true;
  $("result").hidden = true;
  try {
    const response = await fetch("/api/derive?" + query.toString());
    const data = await response.json();
    if (!response.ok) {
      $("error").textContent = data.error.text;
      $("error").hidden = false;
      $("status").textContent = "";
      return;
    }
    showResult(data);
    $("status").textContent = "";
  } catch (failure) {
    $("status").textContent = "the server did not answer: " + failure;
  }
}

async function copyLatex() {
  const text = $("latex").value;
  try {
    await navigator.clipboard.writeText(text);
  } catch (_) {
    $("latex").select();
    document.execCommand("copy");
  }
  $("status").textContent = "LaTeX copied";
}

async function copyCode() {
  const text = $("code-text").textContent;
  try {
    await navigator.clipboard.writeText(text);
  } catch (_) {
    getSelection().selectAllChildren($("code-text"));
    document.execCommand("copy");
  }
  $("status").textContent = "code copied";
}

window.addEventListener("DOMContentLoaded", () => {
  $("form").addEventListener("submit", (event) => {
    event.preventDefault();
    const query = queryFromForm();
    history.pushState(null, "", "/?" + query.toString());
    derive(query);
  });
  $("copy-latex").addEventListener("click", copyLatex);
  $("copy-code").addEventListener("click", copyCode);
  $("code").addEventListener("change", () => $("form").requestSubmit());   // the code in another target
  // An address reproduces a derivation; what it leaves out (the code's
  // target, the kind) is the form's default, as if Derive were pressed.
  const fromAddress = () => {
    const query = new URLSearchParams(location.search);
    formFromQuery(query);
    if (query.has("expr")) derive(queryFromForm());
  };
  window.addEventListener("popstate", fromAddress);
  fromAddress();
});
